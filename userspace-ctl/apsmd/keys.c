// SPDX-License-Identifier: GPL-2.0
/*
 * apsmd's keys: base64 X25519 keys (libsodium), private key files that
 * are refused unless 0600 (or stricter) and owned by the user, and the
 * genkey/pubkey subcommands. See keys.h.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "keys.h"

int apsmd_key_parse(const char *s, uint8_t key[APSMD_KEY_BYTES])
{
	const char *e;
	size_t len;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	if (sodium_base642bin(key, APSMD_KEY_BYTES, s, e - s, NULL, &len,
			      NULL, sodium_base64_VARIANT_ORIGINAL) ||
	    len != APSMD_KEY_BYTES)
		return -1;
	return 0;
}

int apsmd_key_public(const uint8_t sk[APSMD_KEY_BYTES],
		     uint8_t pk[APSMD_KEY_BYTES])
{
	return crypto_scalarmult_base(pk, sk) ? -1 : 0;
}

bool apsmd_key_file_open_mode(const char *file)
{
	struct stat st;

	return !stat(file, &st) && (st.st_mode & 077);
}

int apsmd_key_file(const char *file, bool private,
		   uint8_t key[APSMD_KEY_BYTES], char *err, size_t errlen)
{
	struct stat st;
	char buf[256];
	FILE *f;
	int r;

	f = fopen(file, "r");
	if (!f) {
		snprintf(err, errlen, "%s: %s", file, strerror(errno));
		return -1;
	}
	if (private) {
		if (fstat(fileno(f), &st)) {
			snprintf(err, errlen, "%s: %s", file, strerror(errno));
			fclose(f);
			return -1;
		}
		if (st.st_uid != geteuid() || (st.st_mode & 077)) {
			snprintf(err, errlen,
				 "%s: a private key file must be owned by this user (uid %u) and mode 0600 or stricter (it is uid %u, mode %04o): chmod 600 %s",
				 file, (unsigned int)geteuid(),
				 (unsigned int)st.st_uid,
				 (unsigned int)(st.st_mode & 07777), file);
			fclose(f);
			return -1;
		}
	}
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	r = apsmd_key_parse(buf, key);
	sodium_memzero(buf, sizeof(buf));
	if (r) {
		snprintf(err, errlen, "%s:1: not base64 of %d bytes (make one with 'apsmd genkey')",
			 file, APSMD_KEY_BYTES);
		return -1;
	}
	return 0;
}

static void put_b64(const uint8_t key[APSMD_KEY_BYTES])
{
	char b64[sodium_base64_ENCODED_LEN(APSMD_KEY_BYTES,
					   sodium_base64_VARIANT_ORIGINAL)];

	sodium_bin2base64(b64, sizeof(b64), key, APSMD_KEY_BYTES,
			  sodium_base64_VARIANT_ORIGINAL);
	puts(b64);
	sodium_memzero(b64, sizeof(b64));
}

/* A random X25519 private key: also what the shared cluster key of the
 * static mode is (32 random bytes).
 */
int apsmd_cmd_genkey(void)
{
	uint8_t sk[APSMD_KEY_BYTES], pk[APSMD_KEY_BYTES];

	crypto_box_keypair(pk, sk);
	put_b64(sk);
	sodium_memzero(sk, sizeof(sk));
	return fflush(stdout) ? 1 : 0;
}

int apsmd_cmd_pubkey(void)
{
	uint8_t sk[APSMD_KEY_BYTES], pk[APSMD_KEY_BYTES];
	char buf[256];
	int r;

	if (!fgets(buf, sizeof(buf), stdin))
		buf[0] = '\0';
	r = apsmd_key_parse(buf, sk);
	sodium_memzero(buf, sizeof(buf));
	if (r || apsmd_key_public(sk, pk)) {
		sodium_memzero(sk, sizeof(sk));
		fprintf(stderr, "apsmd pubkey: stdin is not a private key (base64 of %d bytes, from 'apsmd genkey')\n",
			APSMD_KEY_BYTES);
		return 1;
	}
	sodium_memzero(sk, sizeof(sk));
	put_b64(pk);
	return fflush(stdout) ? 1 : 0;
}
