// SPDX-License-Identifier: GPL-2.0
/*
 * apsmd's instance inventory (zero-touch scale-out). An instance added,
 * changed or deleted on its own node (kernel "events" group, node id =
 * this node) is sent to every peer as an INSTANCE record; peers install it
 * as a remote instance (same id, service, node, mode, weight, state).
 * (With [Node] Inventory = yes; dead-node handling below is always on.)
 * Every node owns only its own instances: a node announces only those,
 * and a record is accepted only from the node it names.
 *
 * Repair: heartbeats carry the hash of the sender's own inventory; a
 * receiver whose copy hashes differently PULLs the full inventory (gen,
 * total, records), installs it and, once all records of that generation
 * arrived, deletes that node's instances missing from it.
 *
 * Dead nodes, on a kernel without peer states (memb.c): their
 * instances are set down here (remembering the state their owner
 * announced) and set back when the node is heard again.
 */
#include <sodium.h>
#include <string.h>

#include "core.h"
#include "inv.h"
#include "session.h"
#include "kern.h"
#include "peer.h"

#define INST_MAX	4096
#define INST_PER_DGRAM	((APSMD_DGRAM_MAX - APSMD_HDR_LEN - APSMD_MAC_LEN - \
			  APSMD_INST_PREFIX) / APSMD_INST_REC)

static const struct apsmd_conf *conf;
static struct apsmd_inst dump[INST_MAX];

/* state announced by the owner of each remote instance */
static struct {
	uint32_t id, node;
	uint8_t state;
	bool forced;		/* set down here: its node is dead */
} real[INST_MAX];
static unsigned int n_real;

/* the full inventory being received */
static struct {
	uint32_t sender, gen, n;
	uint32_t ids[INST_MAX];
} full;

void apsmd_inv_init(const struct apsmd_conf *c)
{
	conf = c;
}

static void real_set(uint32_t id, uint32_t node, uint8_t state)
{
	unsigned int i;

	for (i = 0; i < n_real; i++)
		if (real[i].id == id)
			break;
	if (i == n_real) {
		if (n_real == INST_MAX)
			return;
		n_real++;
	}
	real[i].id = id;
	real[i].node = node;
	real[i].state = state;
	real[i].forced = false;
}

static void real_del(uint32_t id)
{
	unsigned int i;

	for (i = 0; i < n_real; i++)
		if (real[i].id == id) {
			real[i] = real[--n_real];
			return;
		}
}

static uint64_t inst_hash(const struct apsmd_inst *r)
{
	static const uint8_t zero[crypto_shorthash_KEYBYTES];
	uint8_t b[16 + APSM_NAME_MAX], h[crypto_shorthash_BYTES];

	memset(b, 0, sizeof(b));
	apsmd_put32(b, r->id);
	apsmd_put32(b + 4, r->node);
	apsmd_put32(b + 8, r->weight);
	b[12] = r->state;	/* not the mode: SET cannot change it */
	memcpy(b + 16, r->service, strnlen(r->service, APSM_NAME_MAX - 1));
	crypto_shorthash(h, b, sizeof(b), zero);
	return apsmd_get64(h);
}

/* Hash and count of the dumped instances of node (-1: dump failed). */
static int node_hash(uint32_t node, uint64_t *hash, uint32_t *count)
{
	int n = apsmd_kern_insts(dump, INST_MAX), i;

	*hash = 0;
	*count = 0;
	if (n < 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (dump[i].node != node)
			continue;
		*hash += inst_hash(&dump[i]);
		(*count)++;
	}
	return 0;
}

void apsmd_inv_own_hash(uint64_t *hash, uint32_t *count)
{
	node_hash(conf->id, hash, count);
}

static void prefix(struct apsmd_wbuf *w, uint32_t gen, uint16_t total)
{
	uint8_t b[APSMD_INST_PREFIX];

	memset(b, 0, sizeof(b));
	apsmd_put32(b, gen);
	apsmd_put16(b + 4, total);
	apsmd_wire_begin(w, APSMD_T_INSTANCE);
	apsmd_wire_raw(w, b, sizeof(b));
}

void apsmd_inv_on_event(const struct apsmd_inst *r)
{
	static struct apsmd_wbuf w;

	if (!conf->inventory)
		return;
	prefix(&w, 0, 0);
	apsmd_wire_add_inst(&w, r);
	apsmd_send_all(&w, 0, 0, 0);
	apsmd_ctr.inv_sent++;
	apsmd_dirty = true;
}

static void send_w(struct apsmd_wbuf *w, uint32_t peer)
{
	if (peer)
		apsmd_send_to(w, peer, 0, 0);
	else
		apsmd_send_all(w, 0, 0, 0);
}

void apsmd_inv_send_full(uint32_t peer)
{
	static struct apsmd_wbuf w;
	uint32_t gen = randombytes_random() | 1;
	int n = apsmd_kern_insts(dump, INST_MAX), i, own = 0;

	if (n < 0)
		return;
	for (i = 0; i < n; i++)
		own += dump[i].node == conf->id;
	prefix(&w, gen, own);
	for (i = 0; i < n; i++) {
		if (dump[i].node != conf->id)
			continue;
		if (apsmd_wire_add_inst(&w, &dump[i]) == 1) {
			send_w(&w, peer);
			prefix(&w, gen, own);
			apsmd_wire_add_inst(&w, &dump[i]);
		}
		apsmd_ctr.inv_sent++;
	}
	send_w(&w, peer);	/* also when empty: "I have none" */
}

/* All of sender's records of generation gen arrived: delete its instances
 * this node holds that are not among them.
 */
static void prune(uint32_t sender)
{
	int n = apsmd_kern_insts(dump, INST_MAX), i;
	uint32_t j;

	for (i = 0; i < n; i++) {
		if (dump[i].node != sender)
			continue;
		for (j = 0; j < full.n; j++)
			if (full.ids[j] == dump[i].id)
				break;
		if (j < full.n)
			continue;
		if (!apsmd_kern_inst_del(dump[i].id)) {
			apsmd_ctr.inv_deleted++;
			real_del(dump[i].id);
			apsmd_log("node %u no longer has instance %s (id %u): deleted",
				  sender, dump[i].name, dump[i].id);
		}
	}
}

/* The node that owns kernel instance id here (0: none), from a dump made
 * once per message (*n < 0: not yet made).
 */
static uint32_t owner_of(uint32_t id, int *n)
{
	int i;

	if (*n < 0)
		*n = apsmd_kern_insts(dump, INST_MAX);
	for (i = 0; i < *n; i++)
		if (dump[i].id == id)
			return dump[i].node;
	return 0;
}

void apsmd_inv_on_msg(struct apsmd_pstate *p, const struct apsmd_hdr *h,
		      const uint8_t *body, size_t blen)
{
	struct apsmd_inst r[INST_PER_DGRAM + 1];
	unsigned int n, i;
	uint16_t total;
	uint32_t gen, owner;
	int ndump = -1;

	if (!conf->inventory)
		return;
	if (apsmd_wire_insts(body, blen, h->count, &gen, &total, r,
			     INST_PER_DGRAM + 1, &n)) {
		apsmd_ctr.bad_format++;
		return;
	}
	if (gen && (full.sender != p->id || full.gen != gen)) {
		full.sender = p->id;
		full.gen = gen;
		full.n = 0;
	}
	for (i = 0; i < n; i++) {
		apsmd_ctr.inv_received++;
		if (apsmd_auth_inst(h->sender, r[i].node) != APSMD_AUTH_OK ||
		    r[i].node == conf->id) {
			apsmd_ctr.bad_format++;	/* not the sender's own */
			apsmd_ctr.inst_foreign++;
			continue;
		}
		/* nor may it take over or delete another node's instance by
		 * its id
		 */
		owner = owner_of(r[i].id, &ndump);
		if (owner && apsmd_auth_inst(h->sender, owner) !=
			     APSMD_AUTH_OK) {
			apsmd_ctr.inst_foreign++;
			continue;
		}
		if (r[i].op == APSMD_INST_OP_DEL) {
			if (!apsmd_kern_inst_del(r[i].id)) {
				apsmd_ctr.inv_deleted++;
				real_del(r[i].id);
			} else {
				apsmd_ctr.inv_fail++;
			}
			continue;
		}
		if (gen && full.n < INST_MAX)
			full.ids[full.n++] = r[i].id;
		real_set(r[i].id, r[i].node, r[i].state);
		if (apsmd_kern_inst_apply(&r[i]))
			apsmd_ctr.inv_fail++;
		else
			apsmd_ctr.inv_installed++;
	}
	if (gen && full.sender == p->id && full.n == total)
		prune(p->id);
	apsmd_dirty = true;
}

void apsmd_inv_check(struct apsmd_pstate *p)
{
	uint64_t hash, now = apsmd_now_ms(), gap = 2 * conf->heartbeat_ms;
	uint32_t count;
	static struct apsmd_wbuf w;
	uint8_t b[APSMD_PULL_LEN];

	if (!conf->inventory || node_hash(p->id, &hash, &count) ||
	    hash == p->inv_hash)
		return;
	if (p->inv_pull_ms && now - p->inv_pull_ms < (gap > 500 ? gap : 500))
		return;
	p->inv_pull_ms = now;
	memset(b, 0, sizeof(b));
	b[0] = APSMD_PULL_INVENTORY;
	apsmd_wire_begin(&w, APSMD_T_PULL);
	apsmd_wire_raw(&w, b, sizeof(b));
	apsmd_send_to(&w, p->id, 0, 0);
	apsmd_ctr.inv_pulls++;
}

void apsmd_inv_node_down(uint32_t node)
{
	int n = apsmd_kern_insts(dump, INST_MAX), i;
	unsigned int j;

	for (i = 0; i < n; i++) {
		if (dump[i].node != node || dump[i].state == APSM_STATE_DOWN)
			continue;
		for (j = 0; j < n_real; j++)
			if (real[j].id == dump[i].id)
				break;
		if (j == n_real)
			real_set(dump[i].id, node, dump[i].state);
		for (j = 0; j < n_real; j++)
			if (real[j].id == dump[i].id)
				real[j].forced = true;
		if (!apsmd_kern_inst_state(dump[i].id, APSM_STATE_DOWN)) {
			apsmd_ctr.instances_down++;
			apsmd_log("instance %s (id %u) of dead node %u: down",
				  dump[i].name, dump[i].id, node);
		}
	}
}

void apsmd_inv_node_up(uint32_t node)
{
	unsigned int j;

	for (j = 0; j < n_real; j++) {
		if (real[j].node != node || !real[j].forced)
			continue;
		real[j].forced = false;
		if (real[j].state == APSM_STATE_DOWN)
			continue;
		if (!apsmd_kern_inst_state(real[j].id, real[j].state)) {
			apsmd_ctr.instances_up++;
			apsmd_log("instance id %u of node %u: state %u again",
				  real[j].id, node, real[j].state);
		}
	}
}
