/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _APSM_VERSION_H
#define _APSM_VERSION_H
#define APSM_VERSION "0.1.0"
#endif
