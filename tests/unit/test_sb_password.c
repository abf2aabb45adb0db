/* Unit tests for sb_password: Argon2id hashes verify, wrong passwords and malformed hashes do not.
 */
#include <string.h>

#include "sb_password.h"
#include "sb_test.h"

int main(void) {
    char h1[SB_PASSWORD_HASH_MAX], h2[SB_PASSWORD_HASH_MAX], err[256], gen[32], gen2[32];
    char longpw[SB_PASSWORD_MAX + 2];

    SB_CHECK_MSG(sb_password_hash("correct horse battery", h1, err, sizeof(err)) == 0, "%s", err);
    SB_CHECK(sb_password_hash("correct horse battery", h2, err, sizeof(err)) == 0);
    SB_CHECK(strncmp(h1, "$argon2id$v=19$m=19456,t=2,p=1$", 31) == 0);
    SB_CHECK(strcmp(h1, h2) != 0); /* a fresh salt each time */
    SB_CHECK(strstr(h1, "horse") == NULL);
    SB_CHECK(sb_password_verify(h1, "correct horse battery") == 1);
    SB_CHECK(sb_password_verify(h2, "correct horse battery") == 1);
    SB_CHECK(sb_password_verify(h1, "correct horse batterY") == 0);
    SB_CHECK(sb_password_verify(h1, "") == 0);
    SB_CHECK(sb_password_verify(NULL, "correct horse battery") == 0);
    SB_CHECK(sb_password_verify("", "x") == 0);
    SB_CHECK(sb_password_verify("$argon2i$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA", "x") == 0);
    SB_CHECK(sb_password_verify("$argon2id$garbage", "x") == 0);
    memset(longpw, 'a', sizeof(longpw) - 1);
    longpw[sizeof(longpw) - 1] = '\0';
    SB_CHECK(sb_password_hash(longpw, h2, err, sizeof(err)) == -1);
    SB_CHECK(sb_password_verify(h1, longpw) == 0);
    SB_CHECK(sb_password_generate(gen, sizeof(gen)) == 0 && strlen(gen) == 20);
    SB_CHECK(sb_password_generate(gen2, sizeof(gen2)) == 0 && strcmp(gen, gen2) != 0);
    SB_CHECK(strcspn(gen, "0O1lI") == strlen(gen));
    SB_CHECK(sb_password_generate(gen, 20) == -1);
    return SB_TEST_DONE();
}
