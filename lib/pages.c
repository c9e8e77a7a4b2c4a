/* SPDX-License-Identifier: MIT */
/*
 * Resident-page sets: a sorted array of runs (first index, length, kind), indexed in pgoff
 * space so that splits, merges and stack growth keep indices unchanged.  Adjacent runs of the
 * same kind are always coalesced, so equal sets have equal representations.  Operations that
 * allocate do so before they change anything; the rest cannot fail.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mm_internal.h"

static struct vma_pages *
pages_alloc(uint32_t cap)
{
	struct vma_pages *ps = malloc(sizeof(*ps) + (size_t)cap * sizeof(struct page_run));

	if (!ps)
		return NULL;
	memset(ps, 0, sizeof(*ps));
	ps->cap = cap;
	return ps;
}

void
pages_free(struct vma_pages *ps)
{
	free(ps);
}

uint64_t
pages_count(const struct vma_pages *ps, int kind)
{
	return ps ? ps->count[kind] : 0;
}

static uint64_t
run_end(const struct page_run *r)
{
	return r->first + r->count;
}

/* Index of the first run that ends after idx (nr if none). */
static uint32_t
run_search(const struct vma_pages *ps, uint64_t idx)
{
	uint32_t lo = 0, hi = ps->nr;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (run_end(&ps->run[mid]) > idx)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

int
pages_kind_at(const struct vma_pages *ps, uint64_t idx)
{
	uint32_t i;

	if (!ps)
		return -1;
	i = run_search(ps, idx);
	if (i < ps->nr && ps->run[i].first <= idx)
		return (int)ps->run[i].kind;
	return -1;
}

/*
 * The end of the stretch of equal state that starts at idx: the end of idx's run (*kind its
 * kind), or where the next run starts (*kind -1; UINT64_MAX if none follows).
 */
uint64_t
pages_run_end(const struct vma_pages *ps, uint64_t idx, int *kind)
{
	uint32_t i = ps ? run_search(ps, idx) : 0;

	*kind = -1;
	if (!ps || i >= ps->nr)
		return UINT64_MAX;
	if (ps->run[i].first > idx)
		return ps->run[i].first;
	*kind = (int)ps->run[i].kind;
	return run_end(&ps->run[i]);
}

/* The first non-resident stretch [*a, *b) inside [lo, hi); false if there is none. */
bool
pages_first_hole(const struct vma_pages *ps, uint64_t lo, uint64_t hi, uint64_t *a, uint64_t *b)
{
	uint64_t cur = lo;
	uint32_t i = ps ? run_search(ps, lo) : 0;

	while (ps && i < ps->nr && ps->run[i].first <= cur) {
		cur = run_end(&ps->run[i]);
		i++;
	}
	if (cur >= hi)
		return false;
	*a = cur;
	*b = ps && i < ps->nr && ps->run[i].first < hi ? ps->run[i].first : hi;
	return true;
}

/* Append a run, coalescing with the last one; the caller guarantees capacity. */
static void
push_run(struct vma_pages *ps, uint64_t first, uint64_t count, uint32_t kind)
{
	struct page_run *last = ps->nr ? &ps->run[ps->nr - 1] : NULL;

	if (!count)
		return;
	ps->count[kind] += count;
	if (last && last->kind == kind && run_end(last) == first) {
		last->count += count;
		return;
	}
	ps->run[ps->nr++] = (struct page_run){ first, count, kind };
}

int
pages_extract(const struct vma_pages *ps, uint64_t lo, uint64_t hi, struct vma_pages **out)
{
	struct vma_pages *n;
	uint32_t i, j;

	*out = NULL;
	if (!ps || lo >= hi)
		return 0;
	i = run_search(ps, lo);
	for (j = i; j < ps->nr && ps->run[j].first < hi; j++)
		;
	if (i == j)
		return 0;
	n = pages_alloc(j - i);
	if (!n)
		return -ENOMEM;
	for (; i < j; i++) {
		const struct page_run *r = &ps->run[i];
		uint64_t s = r->first > lo ? r->first : lo;
		uint64_t e = run_end(r) < hi ? run_end(r) : hi;

		push_run(n, s, e - s, r->kind);
	}
	*out = n;
	return 0;
}

/* The union of two disjoint sets, as a new allocation (NULL when both are empty). */
int
pages_union(const struct vma_pages *a, const struct vma_pages *b, struct vma_pages **out)
{
	uint32_t na = a ? a->nr : 0, nb = b ? b->nr : 0, i = 0, j = 0;
	struct vma_pages *n;

	*out = NULL;
	if (!na && !nb)
		return 0;
	n = pages_alloc(na + nb);
	if (!n)
		return -ENOMEM;
	while (i < na || j < nb) {
		const struct page_run *r;

		if (j >= nb || (i < na && a->run[i].first < b->run[j].first))
			r = &a->run[i++];
		else
			r = &b->run[j++];
		push_run(n, r->first, r->count, r->kind);
	}
	*out = n;
	return 0;
}

/* Keep only [lo, hi), in place. */
void
pages_truncate(struct vma_pages **pps, uint64_t lo, uint64_t hi)
{
	struct vma_pages *ps = *pps;
	uint32_t i, j, k = 0;
	struct page_run r;

	if (!ps)
		return;
	i = run_search(ps, lo);
	for (j = i; j < ps->nr && ps->run[j].first < hi; j++)
		;
	memset(ps->count, 0, sizeof(ps->count));
	for (; i < j; i++, k++) {
		r = ps->run[i];
		if (r.first < lo) {
			r.count -= lo - r.first;
			r.first = lo;
		}
		if (run_end(&r) > hi)
			r.count = hi - r.first;
		ps->run[k] = r;
		ps->count[r.kind] += r.count;
	}
	ps->nr = k;
	if (!k) {
		free(ps);
		*pps = NULL;
	}
}

/* Make room for `extra` more runs than there are now. */
int
pages_reserve(struct vma_pages **pps, uint32_t extra)
{
	struct vma_pages *ps = *pps, *n;
	uint32_t need = (ps ? ps->nr : 0) + extra, cap;

	if (ps && ps->cap >= need)
		return 0;
	cap = need < 4 ? 4 : need + need / 2;
	if (!ps) {
		n = pages_alloc(cap);
	} else {
		n = realloc(ps, sizeof(*ps) + (size_t)cap * sizeof(struct page_run));
		if (n)
			n->cap = cap;
	}
	if (!n)
		return -ENOMEM;
	*pps = n;
	return 0;
}

/*
 * Rewrite [first, first+count) with runs from `add` (sorted, inside the range), dropping what
 * was there, and report the change per kind in delta.  Needs capacity for nr(add) + 1 more.
 */
static void
pages_replace(struct vma_pages *ps, uint64_t first, uint64_t count, const struct page_run *add,
	      uint32_t nadd, int64_t delta[])
{
	uint64_t end = first + count;
	uint32_t i = run_search(ps, first), j, tail_nr;
	struct page_run head = { 0, 0, 0 }, tail = { 0, 0, 0 };

	for (j = i; j < ps->nr && ps->run[j].first < end; j++) {
		struct page_run *r = &ps->run[j];
		uint64_t s = r->first > first ? r->first : first;
		uint64_t e = run_end(r) < end ? run_end(r) : end;

		ps->count[r->kind] -= e - s;
		delta[r->kind] -= (int64_t)(e - s);
		if (r->first < first)
			head = (struct page_run){ r->first, first - r->first, r->kind };
		if (run_end(r) > end)
			tail = (struct page_run){ end, run_end(r) - end, r->kind };
	}
	for (uint32_t k = 0; k < nadd; k++) {
		ps->count[add[k].kind] += add[k].count;
		delta[add[k].kind] += add[k].count;
	}
	tail_nr = ps->nr - j;
	/* Runs [i, j) become head + add + tail; move the rest of the array accordingly. */
	{
		uint32_t total = (head.count ? 1 : 0) + nadd + (tail.count ? 1 : 0);

		memmove(&ps->run[i + total], &ps->run[j], tail_nr * sizeof(struct page_run));
		if (head.count)
			ps->run[i++] = head;
		for (uint32_t k = 0; k < nadd; k++)
			ps->run[i++] = add[k];
		if (tail.count)
			ps->run[i++] = tail;
		ps->nr = i + tail_nr;
	}
}

/* Coalesce neighbours of equal kind around positions that may now touch. */
static void
pages_coalesce(struct vma_pages *ps)
{
	uint32_t k = 0;

	for (uint32_t i = 0; i < ps->nr; i++) {
		if (k && ps->run[k - 1].kind == ps->run[i].kind &&
		    run_end(&ps->run[k - 1]) == ps->run[i].first)
			ps->run[k - 1].count += ps->run[i].count;
		else
			ps->run[k++] = ps->run[i];
	}
	ps->nr = k;
}

/* Mark [first, first+count) resident as `kind`; needs pages_reserve(ps, 2) beforehand. */
void
pages_set(struct vma_pages *ps, uint64_t first, uint64_t count, int kind, int64_t delta[])
{
	struct page_run add = { first, count, (uint32_t)kind };

	pages_replace(ps, first, count, &add, 1, delta);
	pages_coalesce(ps);
}

/* Drop [first, first+count); needs pages_reserve(ps, 1) beforehand. */
void
pages_clear(struct vma_pages **pps, uint64_t first, uint64_t count, int64_t delta[])
{
	struct vma_pages *ps = *pps;

	if (!ps || !count)
		return;
	pages_replace(ps, first, count, NULL, 0, delta);
	if (!ps->nr) {
		free(ps);
		*pps = NULL;
	}
}

/* The first index in [lo, hi) holding kind, in *idx; false if there is none. */
bool
pages_find_kind(const struct vma_pages *ps, uint64_t lo, uint64_t hi, int kind, uint64_t *idx)
{
	for (uint32_t i = ps ? run_search(ps, lo) : 0; ps && i < ps->nr && ps->run[i].first < hi;
	     i++) {
		if (ps->run[i].kind == (uint32_t)kind) {
			*idx = ps->run[i].first > lo ? ps->run[i].first : lo;
			return true;
		}
	}
	return false;
}

/*
 * Drop from [first, first+count) the runs whose kind is in the bit set `kinds`, keeping the
 * others (a zap leaves guard markers; removing guards leaves pages).  Builds the new set
 * first: -ENOMEM changes nothing.
 */
int
pages_drop(struct vma_pages **pps, uint64_t first, uint64_t count, uint32_t kinds, int64_t delta[])
{
	struct vma_pages *ps = *pps, *n;
	uint64_t end = first + count;

	if (!ps || !count)
		return 0;
	n = pages_alloc(ps->nr + 1);
	if (!n)
		return -ENOMEM;
	for (uint32_t i = 0; i < ps->nr; i++) {
		const struct page_run *r = &ps->run[i];
		uint64_t s = r->first > first ? r->first : first;
		uint64_t e = run_end(r) < end ? run_end(r) : end;

		if (!(kinds & (1u << r->kind)) || s >= e) {
			push_run(n, r->first, r->count, r->kind);
			continue;
		}
		push_run(n, r->first, s - r->first, r->kind);
		delta[r->kind] -= (int64_t)(e - s);
		push_run(n, e, run_end(r) - e, r->kind);
	}
	free(ps);
	*pps = n->nr ? n : NULL;
	if (!n->nr)
		free(n);
	return 0;
}

void
pages_shift(struct vma_pages *ps, int64_t delta)
{
	if (!ps)
		return;
	for (uint32_t i = 0; i < ps->nr; i++)
		ps->run[i].first = (uint64_t)((int64_t)ps->run[i].first + delta);
}

int
pages_check(const struct vma_pages *ps, char *msg, size_t len)
{
	uint64_t count[PAGE_KINDS] = { 0, 0, 0 };

	if (!ps)
		return 0;
	if (!ps->nr || ps->nr > ps->cap)
		return snprintf(msg, len, "page set has %u runs, capacity %u", ps->nr, ps->cap), -1;
	for (uint32_t i = 0; i < ps->nr; i++) {
		const struct page_run *r = &ps->run[i];

		if (!r->count || r->kind >= PAGE_KINDS)
			return snprintf(msg, len, "page run %u is empty or of bad kind", i), -1;
		if (i && run_end(&ps->run[i - 1]) > r->first)
			return snprintf(msg, len, "page runs %u and %u overlap", i - 1, i), -1;
		if (i && run_end(&ps->run[i - 1]) == r->first && ps->run[i - 1].kind == r->kind)
			return snprintf(msg, len, "page runs %u and %u not coalesced", i - 1, i),
			       -1;
		count[r->kind] += r->count;
	}
	for (int k = 0; k < PAGE_KINDS; k++)
		if (count[k] != ps->count[k])
			return snprintf(msg, len, "page set count of kind %d is stale", k), -1;
	return 0;
}
