/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A tiny streaming JSON writer: compact output, commas and nesting tracked
 * for the caller, strings escaped per RFC 8259 (control characters as
 * \uXXXX or the short escapes, invalid UTF-8 replaced by U+FFFD).
 */
#ifndef APSMCTL_JSON_H
#define APSMCTL_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_DEPTH_MAX 16

struct json {
	FILE *f;
	int depth;
	bool need_comma[JSON_DEPTH_MAX];
	bool after_key;
};

void json_init(struct json *j, FILE *f);

void json_obj_open(struct json *j);
void json_obj_close(struct json *j);
void json_arr_open(struct json *j);
void json_arr_close(struct json *j);

/* Inside an object: the key of the next value. */
void json_key(struct json *j, const char *key);

void json_str(struct json *j, const char *s);
void json_u64(struct json *j, uint64_t v);
void json_s64(struct json *j, int64_t v);
void json_bool(struct json *j, bool v);
void json_null(struct json *j);
/* A decimal number given as text (already valid JSON number syntax). */
void json_raw(struct json *j, const char *num);

/* key + value shorthands; json_kv_str with NULL writes null. */
void json_kv_str(struct json *j, const char *key, const char *s);
void json_kv_u64(struct json *j, const char *key, uint64_t v);
void json_kv_bool(struct json *j, const char *key, bool v);
void json_kv_null(struct json *j, const char *key);

/* Write s as a JSON string literal (with the quotes) to f. */
void json_escape(FILE *f, const char *s);

#endif /* APSMCTL_JSON_H */
