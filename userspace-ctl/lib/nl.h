/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The netlink client of apsmctl and apsmd (lib/) over libmnl: one socket
 * per process, the "apsm" family resolved once, requests with extack error
 * text, consistent dumps (restarted when the kernel flags
 * NLM_F_DUMP_INTR) and streamed ones (flows), multicast listening (on that socket, or on one of its
 * own: nl_mc_*), and attribute parsing helpers. Errors land in ctl_error()
 * (args.h), the kernel's errno in nl_errno().
 */
#ifndef APSMCTL_NL_H
#define APSMCTL_NL_H

#include <stdbool.h>
#include <stdint.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>

#define NL_BUF_SIZE	(64 * 1024)	/* receive buffer; dumps use up to 32K skbs */
#define NL_DUMP_RETRIES	16

/* Open the socket in the current netns and resolve the apsm family. A
 * second call is a no-op. 0 or -1.
 */
int nl_open(void);
void nl_close(void);

/* Start a request for cmd in the (single) send buffer; NLM_F_REQUEST is
 * always set, flags adds to it (NLM_F_DUMP for a dump).
 */
struct nlmsghdr *nl_msg(uint8_t cmd, uint16_t flags);

/* Called for each reply message; return 0, or -1 to fail the request
 * (after setting ctl_error()).
 */
typedef int (*nl_msg_cb)(const struct nlmsghdr *nlh, void *arg);

/* Send a request (with NLM_F_ACK), feed the replies to cb (may be NULL),
 * wait for the acknowledgement. 0 or -1.
 */
int nl_request(struct nlmsghdr *nlh, nl_msg_cb cb, void *arg);

/* The errno (positive) of the kernel's refusal of the last request or
 * dump; 0 if it did not fail, or failed for another reason (send,
 * receive). Compare it with EEXIST etc., never the message text.
 */
int nl_errno(void);

/* Name attribute type of nest (nest 0: a top-level attribute, type then
 * an object) for error messages, or NULL when it has no name. apsmctl
 * installs its CLI keywords ("id", not APSM_INSTANCE_A_ID).
 */
typedef const char *(*nl_attr_namer)(uint16_t nest, uint16_t type);
void nl_set_attr_namer(nl_attr_namer namer);

/* The attribute at byte off of the request req (an extack offset): its
 * type and the type of the nest it is in (0: top level). 0 or -1.
 */
int nl_attr_at(const struct nlmsghdr *req, uint32_t off, uint16_t *nest,
	       uint16_t *type);

/* The text for the kernel's refusal err_msg (NLMSG_ERROR or NLMSG_DONE,
 * errno err) of request req: strerror, then the extack message; a missing
 * or offending attribute named through the namer when it has a name.
 */
void nl_error_text(const struct nlmsghdr *err_msg, int err,
		   const struct nlmsghdr *req, char *buf, size_t len);

/* Run a dump to completion, restarting it (at most NL_DUMP_RETRIES
 * times) if the kernel flags it inconsistent; only then feed each message
 * of the complete dump to cb. 0 or -1.
 */
int nl_dump(struct nlmsghdr *nlh, nl_msg_cb cb, void *arg);

/* Run a dump once, feeding each message to cb as it arrives (nothing is
 * buffered, nothing restarted): for dumps that complete under changes
 * and do not flag them (the flow dump). 0 or -1 (error, or cb failed).
 */
int nl_dump_stream(struct nlmsghdr *nlh, nl_msg_cb cb, void *arg);

/* Join a multicast group of the family by name. 0 or -1. */
int nl_join(const char *group);

/* Receive multicast messages forever, feeding each to cb; an overrun of
 * the socket buffer calls lost (if not NULL) and goes on. Returns -1 on a
 * receive error or when cb fails.
 */
int nl_listen(nl_msg_cb cb, void (*lost)(void *arg), void *arg);

/* A listening socket of its own (after nl_open), so that requests on the
 * main socket never swallow notifications: joins every group named in
 * groups (NULL-terminated); rcvbuf bytes of receive buffer (0: default).
 * nl_mc_read() feeds what is queued to cb (the family's messages only),
 * calls lost on an overrun, and returns 0 once drained (never blocks;
 * poll mc->fd), -1 on an error or when cb fails.
 */
struct nl_mc {
	struct mnl_socket *sk;
	int fd;
	char *buf;
};

int nl_mc_open(struct nl_mc *mc, const char *const *groups, int rcvbuf);
int nl_mc_read(struct nl_mc *mc, nl_msg_cb cb, void (*lost)(void *arg),
	       void *arg);
void nl_mc_close(struct nl_mc *mc);

/* ---- parsing ---- */

enum nl_kind {
	NLK_ANY,	/* not checked (also: attribute not described) */
	NLK_U8,
	NLK_U16,
	NLK_U32,
	NLK_U64,
	NLK_STR,	/* NUL-terminated string */
	NLK_NEST,
};

/* Top-level attribute 'type' of a genl message (first occurrence). */
const struct nlattr *nl_attr(const struct nlmsghdr *nlh, uint16_t type);

/* Index the attributes of a nest into tb[0..max] (zeroed first). An
 * attribute whose length does not fit its kind[] entry is left out;
 * attributes above max are ignored (a newer kernel).
 */
void nl_parse_nest(const struct nlattr *nest, const uint8_t *kind,
		   unsigned int max, const struct nlattr **tb);

/* Integer attributes, 0 if absent. */
uint8_t nl_u8(const struct nlattr *a);
uint16_t nl_u16(const struct nlattr *a);
uint32_t nl_u32(const struct nlattr *a);
uint64_t nl_u64(const struct nlattr *a);
/* String attribute, NULL if absent. */
const char *nl_str(const struct nlattr *a);

/* The genl command of a message. */
uint8_t nl_cmd(const struct nlmsghdr *nlh);

#endif /* APSMCTL_NL_H */
