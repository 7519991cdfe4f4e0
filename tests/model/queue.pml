/*
 * The protocol-2 queue (PROTOCOL.md §7) as src/queue.cpp implements it, for
 * Spin. One producer pushes M messages with any mix of force_push and
 * try_push; one consumer does any mix of pop, flush and has_news, then drains
 * the queue once the producer is done.
 *
 * Every load, store, fetch_or and compare_exchange on tail, head or chain[] is
 * one atomic step (a d_step), with the private bookkeeping that follows it in
 * the C++ folded into the same step. "q:NN" names the line of src/queue.cpp a
 * step mirrors. Interleaving is sequentially consistent (see
 * docs/queue-model.md for why that is enough).
 *
 * Index values are bytes with the same bit layout scaled down: INV = 0xFF,
 * CONSUMED = 0x80, FIRST = 0x40, MASK = 0x3F (the C++ uses the top bits of a
 * 32-bit word; only the bit positions differ).
 *
 * Ghost state (not in the C++; only for the assertions) is marked "ghost".
 *
 * Build-time switches (spin -D...), docs/queue-model.md lists them:
 *   N slots, M messages.
 *   Must pass: TSO (x86 store buffer in force_push); a foreign producer
 *   that follows the protocol text: TAIL_BEFORE_HEAD (first push), and
 *   LINK_BEFORE_HEAD (publish); C_FLUSH, a foreign consumer whose flush is
 *   the rtipc C library's (our pop, has_news and drain stay).
 *   LATEST_RETRIES: the failed flush attempts before flush falls back to
 *   pop (kMaxFlushRetries, 4; smaller values reach the fallback sooner).
 *   Planted bugs that Spin must find: OLD_FLUSH, MUT_*.
 */

#ifndef N
#define N 3
#endif
#ifndef M
#define M (3 * N)
#endif
#ifndef LATEST_RETRIES
#define LATEST_RETRIES 4
#endif

/* The mutants that are a producer order plus a flush bug. */
#ifdef OLD_FLUSH                 /* the protocol text's producer, librtipc's first flush */
#define TAIL_BEFORE_HEAD
#define LINK_BEFORE_HEAD
#define MUT_OVERRUN_NO_RETRY
#endif
#ifdef MUT_HEAD_RACE             /* finding 2 alone */
#define LINK_BEFORE_HEAD
#define MUT_FLUSH_TRUSTS_HEAD
#endif
#ifdef MUT_FLUSH_IGNORES_HEAD_LAG
#define LINK_BEFORE_HEAD
#endif

#define INV 255
#define CONSUMED 128
#define FIRST 64
#define MASK 63

/* Results, as in queue.hpp. */
#define PUBLISHED 0
#define DISCARDED 1
#define FULL 2
#define NOTHING 10
#define NONEW 11
#define NEW 12
#define GAP 13
#define CDISC 14                 /* C_FLUSH only: the C flush's one result, "discarded" */
#define ERROR 99
#define UNDECIDED 200            /* model only: force_push has not picked a result yet */

/* Shared memory: the index area and the message slots. */
byte tail = INV;
byte head = INV;
byte chain[N];
byte slot[N];            /* a message is its sequence number, 1, 2, ... */

/* ghost */
byte pub = 0;            /* sequence number of the newest fully published message */
byte held = INV;         /* slot the consumer holds (from the RMW that takes it to the RMW that lets it go) */
byte last = 0;           /* newest sequence number the consumer has read */
int dropped = 0;         /* bit s: the producer dropped message s (bits <= last cleared) */
bool dropnow = false;    /* the push in progress has dropped a message */
bool pdone = false;      /* the producer has pushed its M messages */

/* A message dropped by the producer's CAS: one per kDiscarded, one the
 * consumer has not read, and one it must never read afterwards. */
inline drop(k) {
  assert(!dropnow && slot[k] > last);
  dropped = dropped | (1 << slot[k]);
  dropnow = true
}

/* ---------------------------------------------------------------- producer */

#ifdef TSO
/* x86-TSO lets the load of tail in force_push (q:107) overtake the stores
 * of publish() that precede it (loads never pass loads or RMWs, stores
 * never pass stores). maybe_load_tail() may do that load early, before any
 * of the three stores; force_push does it at q:107 if it is still pending.
 * try_push loads tail before it publishes, and sets loaded. */
inline maybe_load_tail() {
  if
  :: !loaded -> d_step { t = tail; oldest = t & MASK; loaded = true }   /* q:107-108, early */
  :: true -> skip
  fi
}
#define TSO_LOAD maybe_load_tail();
#else
#define TSO_LOAD
#endif

/* The message in slot c becomes the newest; ghost pub counts it once the
 * consumer can reach it by the chain, i.e. at the later of the link and the
 * head store. */
inline publish() {
  TSO_LOAD
#if defined(MUT_LINK_BEFORE_TERMINATE)
  /* Cuts c's old link only after linking c: a consumer can run past c. */
  d_step { head = c }                                  /* q:38 */
  TSO_LOAD
  d_step { chain[h] = c; L[h] = c; pub++ }             /* q:39-40 */
  TSO_LOAD
  d_step { chain[c] = INV; L[c] = INV; h = c }         /* q:33-34, q:41 */
#elif defined(LINK_BEFORE_HEAD)
  /* The protocol text's order (the rtipc C and Rust producers). */
  d_step { chain[c] = INV; L[c] = INV }                /* q:33-34 */
  TSO_LOAD
  d_step { chain[h] = c; L[h] = c; h = c }             /* q:39-41 */
  TSO_LOAD
  d_step { head = h; pub++ }                           /* q:38 (ghost: published) */
#else
  d_step { chain[c] = INV; L[c] = INV }                /* q:33-34 */
  TSO_LOAD
  d_step { head = c }                                  /* q:38 */
  TSO_LOAD
  d_step { chain[h] = c; L[h] = c; h = c; pub++ }      /* q:39-41 (ghost: published) */
#endif
}

inline first_push() {
  next = L[c];                                         /* q:45 */
  d_step { chain[c] = INV; L[c] = INV; h = c }         /* q:46-48 */
#ifdef TAIL_BEFORE_HEAD
  /* The protocol text's order (the rtipc C and Rust producers). */
  d_step { tail = c | FIRST; pub++ }                   /* q:52 (ghost: published) */
  d_step { head = c }                                  /* q:51 */
#else
  d_step { head = c }                                  /* q:51 */
  d_step { tail = c | FIRST; pub++ }                   /* q:52 (ghost: published) */
#endif
  c = next;                                            /* q:53 */
  res = PUBLISHED
}

inline link_released_overrun() {
  d_step { chain[o] = next; L[o] = next; c = o; o = INV }   /* q:61-64 */
}

/* t: the tail value to replace; sets res. */
inline overrun() {
  x = t & MASK; nc = L[x];                             /* q:70-71 */
  if
  :: nc >= N -> res = ERROR                            /* q:72 */
  :: else ->
    nt = L[nc];                                        /* q:73 */
    d_step {                                           /* q:74-75 CAS tail: t -> nt */
      if
      :: tail == t -> tail = nt; ok = true; drop(nc)
      :: else -> t = tail; ok = false
      fi
    }
#ifndef MUT_OVERRUN_NO_RETRY
    if
    :: !ok && (t & MASK) == x ->                       /* q:79 */
      d_step {                                         /* q:80-81 CAS tail: t -> nt again */
        if
        :: tail == t -> tail = nt; ok = true; drop(nc)
        :: else -> t = tail; ok = false
        fi
      }
    :: else -> skip
    fi;
#endif
    if
    :: ok -> o = x; c = nc; res = DISCARDED            /* q:83-86 */
    :: else -> c = x; res = PUBLISHED                  /* q:88-89 */
    fi
  fi
}

inline force_push() {
  if
  :: h == INV -> first_push()                          /* q:102 */
  :: else ->
    next = L[c];                                       /* q:104, q:97 */
    if
    :: next >= N -> res = ERROR                        /* q:104, q:98 */
    :: else ->
      publish();                                       /* q:105 */
#ifdef TSO
      if
      :: !loaded -> d_step { t = tail; oldest = t & MASK }   /* q:107-108 */
      :: else -> skip
      fi;
#else
      d_step { t = tail; oldest = t & MASK };          /* q:107-108 */
#endif
      if
      :: oldest >= N -> res = ERROR                    /* q:109 */
      :: else ->
        if
        :: o != INV ->                                 /* q:111 */
          ok = false;
          if
#ifdef MUT_OVERRUN_NO_CONSUMED_CHECK
          :: true ->
#else
          :: (t & CONSUMED) == 0 ->                    /* q:112 */
#endif
            d_step {                                   /* q:113-114 CAS tail: t -> L[oldest] */
              if
              :: tail == t -> tail = L[oldest]; ok = true; drop(oldest)
              :: else -> t = tail
              fi
            }
          :: else -> skip
          fi;
          if
          :: ok -> c = oldest; res = DISCARDED         /* q:115-116 */
          :: else -> link_released_overrun(); res = PUBLISHED   /* q:119-120 */
          fi
        :: else ->
          if
          :: next != oldest -> c = next; res = PUBLISHED   /* q:122-124 */
          :: else ->
            res = UNDECIDED;
            if
#ifdef MUT_FULL_NO_CONSUMED_CHECK
            :: true ->
#else
            :: (t & CONSUMED) == 0 ->                  /* q:126 */
#endif
              d_step {                                 /* q:127-129 CAS tail: t -> L[oldest] */
                if
                :: tail == t -> tail = L[oldest]; ok = true; drop(oldest)
                :: else -> ok = false
                fi
              }
              if
              :: ok -> c = next; res = DISCARDED       /* q:130-131 */
              :: else -> t = t | CONSUMED              /* q:135 */
              fi
            :: else -> skip
            fi;
            if
            :: res == UNDECIDED -> overrun()           /* q:137 */
            :: else -> skip
            fi
          fi
        fi
      fi
    fi
  fi
}

inline try_push() {
  if
  :: h == INV -> first_push()                          /* q:141 */
  :: else ->
    next = L[c];                                       /* q:143, q:97 */
    if
    :: next >= N -> res = ERROR                        /* q:143, q:98 */
    :: else ->
      d_step { t = tail; oldest = t & MASK; loaded = true }   /* q:144-145 (loaded: TSO) */
      if
      :: oldest >= N -> res = ERROR                    /* q:146 */
      :: else ->
        if
        :: o != INV && (t & CONSUMED) == 0 -> res = FULL   /* q:148-149 */
        :: o != INV && (t & CONSUMED) != 0 ->
          publish();                                   /* q:150 */
          link_released_overrun();                     /* q:151 */
          res = PUBLISHED
        :: o == INV && next == oldest -> res = FULL    /* q:154 */
        :: o == INV && next != oldest ->
          publish();                                   /* q:155 */
          c = next;                                    /* q:156 */
          res = PUBLISHED
        fi
      fi
    fi
  fi
}

proctype producer() {
  byte L[N];                /* private copy of chain */
  byte h = INV;             /* newest_ */
  byte c = 0;               /* c_ */
  byte o = INV;             /* overrun_ */
  byte next, t, oldest, x, nc, nt, res;
  bool ok;
  bool loaded = false;      /* TSO only: tail already loaded in this push */
  byte i;

  d_step {                                             /* q:23-24 (the shared half is in init) */
    i = 0;
    do
    :: i < N -> L[i] = (i + 1) % N; i++
    :: else -> break
    od;
    i = 0
  }

  do
  :: pub < M ->
    /* (a) The application writes message pub + 1 into slot c. */
    d_step { assert(c < N && c != held); slot[c] = pub + 1 }
    if
    :: true -> force_push()
    :: true -> try_push()
    fi;
    d_step {
      assert(res != ERROR);
      assert(c < N);
      assert(dropnow == (res == DISCARDED));           /* (f) kDiscarded iff a message was dropped */
      dropnow = false;
      /* dead temporaries back to 0: fewer distinct states */
      next = 0; t = 0; oldest = 0; x = 0; nc = 0; nt = 0; ok = false; res = 0; loaded = false
    }
  :: else -> break
  od;
  pdone = true
}

/* ---------------------------------------------------------------- consumer */

/* The tail value t the consumer's fetch_or just flagged had no CONSUMED: the
 * consumer now holds that slot and has let go of the one it held. */
#define TAKES(t) ((t) != INV && ((t) & CONSUMED) == 0)

inline take_moved_tail() {                             /* q:162-166 */
  if
  :: (t & MASK) >= N -> r = ERROR
  :: else ->
    cur = t & MASK;
    if
    :: (t & FIRST) != 0 -> r = NEW
    :: else -> r = GAP
    fi
  fi
}

inline pop() {
  d_step { t = tail; startpub = pub }                  /* q:182 (ghost: pop begins) */
  if
  :: t == INV -> r = NOTHING                           /* q:183 */
  :: else ->
    r = 0;
    if
    :: (t & CONSUMED) == 0 ->                          /* q:184 */
      d_step {                                         /* q:185 fetch_or(tail, CONSUMED) */
        wrote = true;
        t = tail; tail = tail | CONSUMED;
        if :: TAKES(t) -> held = t & MASK :: else -> skip fi
      }
      if
      :: t == INV -> r = NOTHING                       /* q:186 */
      :: (t & CONSUMED) == 0 -> take_moved_tail()      /* q:187 */
      :: else -> skip
      fi
    :: else -> skip
    fi;
    if
    :: r != 0 -> skip
    :: r == 0 && cur == INV -> r = ERROR               /* q:190 */
    :: r == 0 && cur != INV ->
      d_step { x = chain[cur] }                        /* q:191 */
      if
      :: x == INV -> r = NONEW                         /* q:192 */
      :: x != INV && x >= N -> r = ERROR               /* q:193 */
      :: x != INV && x < N ->
        d_step {                                       /* q:194-195 CAS tail: t -> x | CONSUMED */
          wrote = true;
          if
          :: tail == t -> tail = x | CONSUMED; held = x; ok = true
          :: else -> t = tail; ok = false
          fi
        }
        if
        :: ok -> cur = x; r = NEW                      /* q:196-197 */
#ifdef MUT_POP_NO_RECHECK
        :: else -> cur = x; held = x; r = NEW          /* trusts the stale link */
#else
        :: else ->
          d_step {                                     /* q:200 fetch_or(tail, CONSUMED) */
            wrote = true;
            t = tail; tail = tail | CONSUMED;
            if :: TAKES(t) -> held = t & MASK :: else -> skip fi
          }
          if
          :: t == INV || (t & CONSUMED) != 0 -> r = ERROR   /* q:201 */
          :: else ->
            take_moved_tail();                         /* q:202 */
            if :: r != ERROR -> r = GAP :: else -> skip fi  /* q:203 */
          fi
#endif
        fi
      fi
    fi
  fi
}

/* One flush step: fetch_or(tail, CONSUMED), with the ghost bookkeeping. */
inline flush_fetch_or() {
  d_step {                                             /* q:213 */
    if :: startpub == INV -> startpub = pub :: else -> skip fi;   /* ghost: flush begins */
    wrote = true;
    t = tail; tail = tail | CONSUMED;
    if :: TAKES(t) -> held = t & MASK :: else -> skip fi
  }
}

/* An attempt's first steps in our flush: load tail, and fetch_or only a tail
 * that is not flagged, as pop does (q:210-215). MUT_FLUSH_RMW_FIRST: the
 * fetch_or always (librtipc's flush before issue 8: it writes when nothing
 * is new). */
inline flush_load() {
#ifdef MUT_FLUSH_RMW_FIRST
  flush_fetch_or()
#else
  d_step {                                             /* q:210 */
    if :: startpub == INV -> startpub = pub :: else -> skip fi;   /* ghost: flush begins */
    t = tail
  }
  if
  :: t != INV && (t & CONSUMED) == 0 -> flush_fetch_or()   /* q:212-213 */
  :: else -> skip
  fi
#endif
}

/* CAS tail: t|CONSUMED -> newest|CONSUMED; on success sets cur and r. */
inline flush_cas() {
  d_step {                                             /* q:248-250 */
    wrote = true;
    if
    :: tail == (t | CONSUMED) -> tail = newest | CONSUMED; held = newest; ok = true
    :: else -> ok = false
    fi
  }
  if
  :: ok ->
    cur = newest;                                      /* q:251 */
#ifdef C_FLUSH
    r = CDISC
#else
    if :: gap -> r = GAP :: else -> r = NEW fi         /* q:252 */
#endif
  :: else -> skip                                      /* q:207: round again */
  fi
}

#if defined(OLD_FLUSH)
/* librtipc's first flush: the protocol text's (head read first and trusted,
 * a CAS also when head is the slot the fetch_or just took), reporting
 * kNoNew / kNew / kNewAfterGap from head and chain[cur]. */
inline flush() {
  r = 0;
  startpub = INV;
  do
  :: r != 0 -> break
  :: else ->
    flush_fetch_or();
    if
    :: t == INV -> r = NOTHING
    :: t != INV && (t & MASK) >= N -> r = ERROR
    :: t != INV && (t & MASK) < N ->
      oldest = t & MASK;
      d_step { newest = head };
      if
      :: newest == INV && (t & CONSUMED) != 0 -> r = ERROR
      :: newest == INV && (t & CONSUMED) == 0 -> take_moved_tail()
      :: newest != INV && newest >= N -> r = ERROR
      :: newest != INV && newest < N ->
        heldflag = ((t & CONSUMED) != 0);
        if
        :: heldflag && cur == INV -> r = ERROR
        :: heldflag && cur != INV && newest == cur -> r = NONEW
        :: else ->
          if
          :: heldflag -> d_step { gap = (chain[cur] != newest) }
          :: else -> gap = !((t & FIRST) != 0 && oldest == newest)
          fi;
          flush_cas()
        fi
      fi
    fi
  od
}

#elif defined(C_FLUSH)
/* The rtipc C library's flush (a foreign consumer): the protocol text's,
 * always a CAS to head, always "discarded". */
inline flush() {
  r = 0;
  startpub = INV;
  do
  :: r != 0 -> break
  :: else ->
    flush_fetch_or();
    if
    :: t == INV -> r = NOTHING
    :: t != INV && (t & MASK) >= N -> r = ERROR
    :: t != INV && (t & MASK) < N ->
      d_step { newest = head };
      if
      :: newest >= N -> r = ERROR
      :: else -> flush_cas()
      fi
    fi
  od
}

#else
inline flush() {
  r = 0;
  startpub = INV;
  tries = 0;
  do
  :: r != 0 -> break
  :: r == 0 && tries > LATEST_RETRIES -> pop(); break    /* q:258: as pop after the retries */
  :: else ->
    tries++;                                           /* q:207 */
    flush_load();                                      /* q:210-215 */
    if
    :: t == INV -> r = NOTHING                         /* q:211, q:214 */
    :: t != INV && (t & MASK) >= N -> r = ERROR        /* q:216-217 */
    :: t != INV && (t & MASK) < N ->
      oldest = t & MASK;
      if
      :: (t & CONSUMED) != 0 && cur == INV -> r = ERROR   /* q:221, q:225 */
#ifdef MUT_FLUSH_TRUSTS_HEAD
      /* head first, and trusted: librtipc's first flush. */
      :: (t & CONSUMED) != 0 && cur != INV ->
        d_step { newest = head };
        if
        :: newest >= N -> r = ERROR
        :: newest == cur -> r = NONEW
        :: else -> d_step { gap = (chain[cur] != newest) }
        fi
#else
      :: (t & CONSUMED) != 0 && cur != INV ->
        d_step { after = chain[cur] }                  /* q:246 */
        if
        :: after == INV -> r = NONEW                   /* q:240 */
        :: after != INV && after >= N -> r = ERROR     /* q:228 */
        :: after != INV && after < N ->
          d_step { newest = head }                     /* q:230 */
          if
          :: newest >= N -> r = ERROR                  /* q:231 */
#ifndef MUT_FLUSH_IGNORES_HEAD_LAG
          :: newest == cur -> newest = after           /* q:246 */
#endif
          :: else -> skip
          fi;
          gap = (newest != after)                      /* q:240 */
        fi
#endif
      :: (t & CONSUMED) == 0 ->
        d_step { newest = head }                       /* q:246 */
        if
        :: newest == INV -> take_moved_tail()          /* q:240 */
        :: newest != INV && newest >= N -> r = ERROR   /* q:241 */
#ifdef MUT_FLUSH_CAS_SAME_SLOT
        /* librtipc's first flush: a CAS that only clears FIRST. */
        :: newest == oldest -> gap = ((t & FIRST) == 0)
#else
        :: newest == oldest -> take_moved_tail()       /* q:245 */
#endif
        :: else -> gap = true                          /* q:246 */
        fi
      fi;
      if
      :: r == 0 -> flush_cas()                         /* q:248-252 */
      :: else -> skip
      fi
    fi
  od
}
#endif

inline has_news() {
  d_step { t = tail; startpub = pub }                  /* q:172 (ghost: call begins) */
  if
  :: t == INV -> news = false                          /* q:173 */
  :: t != INV && ((t & CONSUMED) == 0 || cur == INV) -> news = true  /* q:174 */
  :: else -> d_step { news = (chain[cur] != INV) }     /* q:175 */
  fi
}

/* What the application sees after pop (byflush false) or flush returned r. */
inline check_result(byflush) {
  if
  :: r == NEW || r == GAP || r == CDISC ->
    d_step {                                           /* the application reads slot cur */
      assert(cur < N && cur == held);
      s = slot[cur];
      assert((dropped & (1 << s)) == 0);               /* (f) a discarded message is never read */
      if
      :: r == NEW -> assert(s == last + 1)             /* (b)(c) in order, nothing skipped */
      :: r == GAP -> assert(s > last + 1)              /* (b)(c) a gap is a real gap */
      :: else -> assert(s >= last)                     /* (b) C flush: never backwards */
      fi;
      /* (f) a pop skips only what the producer dropped */
      assert(byflush || (dropped & ((1 << s) - (2 << last))) == (1 << s) - (2 << last));
      last = s;
      dropped = dropped & ~((2 << last) - 1);
      s = 0
    }
  :: r == NONEW ->
    assert(cur != INV && cur == held);
    assert(startpub <= last)                           /* (d) nothing newer was published before the call */
  :: r == NOTHING -> assert(startpub == 0)             /* (d) nothing at all was published before the call */
  :: else -> skip
  fi;
#if !defined(C_FLUSH) && !defined(OLD_FLUSH)
  /* (g) finding nothing new writes no shared memory, in either mode */
  assert(!(r == NONEW || r == NOTHING) || !wrote);
#endif
  if
  :: r == ERROR -> assert(false)
  :: else -> skip
  fi;
  d_step { startpub = 0; t = 0; x = 0; oldest = 0; newest = 0; after = 0; ok = false; gap = false; heldflag = false; wrote = false; tries = 0 }
}

proctype consumer() {
  byte cur = INV;           /* cur_ */
  byte t, x, oldest, newest, r;
  byte after;
  bool ok, gap, heldflag, news;
  byte tries;               /* flush's attempt, the C++ loop counter */
  byte startpub, s;         /* ghost */
  bool wrote;               /* ghost: an RMW on tail since the call began */

  do
  :: pop(); check_result(false); r = 0
  :: flush(); check_result(true); r = 0
  :: has_news();
    if
    :: !news -> assert(startpub <= last)               /* (d) for has_news */
    :: else -> skip
    fi;
    d_step { startpub = 0; t = 0; news = false }
  :: pdone ->
    d_step { t = 0; x = 0; oldest = 0; newest = 0; after = 0; r = 0; ok = false; gap = false; heldflag = false; news = false; startpub = 0 };
    break
  od;

  /* Drain: pop until "no new message"; then every message was read or
   * reported, and the newest one was read. */
  do
  :: pop(); check_result(false);
    if
    :: r == NONEW -> break
    :: else -> assert(r == NEW || r == GAP)
    fi
  od;
  assert(last == M)                                    /* reached the newest message */
}

init {
  byte i;
  d_step {                                             /* q:16-17 and q:26 */
    tail = INV; head = INV;
    i = 0;
    do
    :: i < N -> chain[i] = (i + 1) % N; i++
    :: else -> break
    od;
    i = 0
  }
  atomic { run producer(); run consumer() }
}
