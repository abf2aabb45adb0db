/* sb_password: console users' passwords as Argon2id hashes (libargon2). */
#ifndef SB_PASSWORD_H
#define SB_PASSWORD_H

#include <stddef.h>

/* Room for an encoded hash ("$argon2id$v=19$m=...,t=...,p=...$salt$hash"). */
#define SB_PASSWORD_HASH_MAX 128
/* Passwords longer than this are refused (bounded work per login). */
#define SB_PASSWORD_MAX 256
/* Shortest password a person may set. */
#define SB_PASSWORD_MIN 12

/* Hashes password (NUL-terminated) with Argon2id and a fresh 16-byte salt
 * into out (SB_PASSWORD_HASH_MAX bytes), in the PHC string format that
 * carries its parameters. 0, or -1 with errstr. */
int sb_password_hash(const char *password, char out[SB_PASSWORD_HASH_MAX], char *errstr,
                     size_t errstr_size);

/* 1 when password matches encoded, 0 when not (or encoded is malformed).
 * With encoded NULL it does the same work against a fixed hash and
 * answers 0, so an unknown user takes as long as a wrong password. */
int sb_password_verify(const char *encoded, const char *password);

/* A random password of 20 characters from an unambiguous alphabet into
 * out (>= 21 bytes); 0 or -1. */
int sb_password_generate(char *out, size_t size);

#endif
