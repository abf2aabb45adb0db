// deploy_help.js DIR BINARY...: per binary, each variable its --help (DIR/BINARY.txt)
// names, with the NAME_FILE forms it mentions, and whether it is required
// or secret, as JSON (tests/integration/0013-deploy.sh).
const fs = require("fs");
const [dir, ...bins] = process.argv.slice(2);
const out = {};
for (const b of bins) {
  const text = fs.readFileSync(`${dir}/${b}.txt`, "utf8");
  const vars = {};
  for (const line of text.split("\n")) {
    const m = /^\s{2}((?:SECURITYBOT|SLACK)_[A-Z0-9_]+)\s{2,}(.*)$/.exec(line);
    if (!m) continue;
    const [, name, desc] = m;
    vars[name] = {
      required: /\(required[;)]/.test(desc) ? "always" : /required with slack/.test(desc) ? "slack" : "",
      secret: /a file named by/.test(desc),
    };
    const f = /a file named by ([A-Z0-9_]+)/.exec(desc);
    if (f) vars[f[1]] = { required: "", secret: false, fileOf: name };
  }
  out[b] = vars;
}
console.log(JSON.stringify(out, null, 1));
