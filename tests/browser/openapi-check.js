// openapi-check.js: validates an OpenAPI description with
// @seriousme/openapi-schema-validator (the official OpenAPI 3.x JSON
// schemas), then prints "METHOD PATH" for every operation, one a line.
// Usage: node openapi-check.js FILE
'use strict';

const {Validator} = require('@seriousme/openapi-schema-validator');

(async () => {
  const validator = new Validator();
  const res = await validator.validate(process.argv[2]);
  if (!res.valid) {
    console.error(JSON.stringify(res.errors, null, 2));
    process.exit(1);
  }
  const spec = validator.resolveRefs();
  for (const [p, item] of Object.entries(spec.paths)) {
    for (const m of Object.keys(item)) console.log(`${m.toUpperCase()} ${p}`);
  }
})().catch((e) => {
  console.error(e.message);
  process.exit(1);
});
