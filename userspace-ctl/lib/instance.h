/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The attribute kinds of an APSM_A_INSTANCE nest (nl_parse_nest), for
 * both programs.
 */
#ifndef APSM_LIB_INSTANCE_H
#define APSM_LIB_INSTANCE_H

#include <linux/apsm.h>

#include "nl.h"

extern const uint8_t nl_instance_kind[APSM_INSTANCE_A_MAX + 1];

#endif /* APSM_LIB_INSTANCE_H */
