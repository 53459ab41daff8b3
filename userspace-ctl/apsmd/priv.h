/* SPDX-License-Identifier: GPL-2.0 */
/*
 * apsmd's privileges (priv.c): once start-up is done (netns entered,
 * sockets opened and sized), keep only what the running daemon needs.
 */
#ifndef APSMD_PRIV_H
#define APSMD_PRIV_H

/* Drop every capability but CAP_NET_ADMIN (the APSM generic netlink
 * family's admin operations: installs, deletes, dumps, peer objects) from
 * the effective, permitted, inheritable and bounding sets, and set
 * no_new_privs. A process that holds no capability (a non-root test run)
 * has nothing to drop. 0, or -1 with the reason logged.
 */
int apsmd_priv_drop(void);

#endif /* APSMD_PRIV_H */
