/* SPDX-License-Identifier: GPL-2.0 */
/*
 * apsmd's key files and keys (keys.c): X25519 node keys in base64 (like
 * wg), the mode/owner check of private key files, `apsmd genkey` and
 * `apsmd pubkey`. Sits between wire and peer; includes wire only.
 */
#ifndef APSMD_KEYS_H
#define APSMD_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire.h"

/* Parse one base64 key of APSMD_KEY_BYTES (surrounding blanks allowed).
 * 0 or -1.
 */
int apsmd_key_parse(const char *s, uint8_t key[APSMD_KEY_BYTES]);
/* The public key of an X25519 private key. 0, or -1 (a degenerate key). */
int apsmd_key_public(const uint8_t sk[APSMD_KEY_BYTES],
		     uint8_t pk[APSMD_KEY_BYTES]);
/* Read a private key file. private: refuse it unless it is owned by this
 * user and no group/other bit is set (0600 or stricter). 0, or -1 with
 * "FILE: why" in err.
 */
int apsmd_key_file(const char *file, bool private,
		   uint8_t key[APSMD_KEY_BYTES], char *err, size_t errlen);
/* true if the file's mode lets group or others read it (a warning). */
bool apsmd_key_file_open_mode(const char *file);
/* `apsmd genkey`, `apsmd pubkey` (stdin to stdout): exit codes. */
int apsmd_cmd_genkey(void);
int apsmd_cmd_pubkey(void);

#endif /* APSMD_KEYS_H */
