/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The netdev notifier: configuration objects let go of devices that are
 * unregistered (or leave the netns).
 */
#ifndef _APSM_NOTIFIER_H
#define _APSM_NOTIFIER_H

int apsm_notifier_init(void);
void apsm_notifier_exit(void);

#endif /* _APSM_NOTIFIER_H */
