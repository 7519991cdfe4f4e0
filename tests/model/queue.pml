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
 * Build-time switches (spin -D...): N slots, M messages; TSO and
 * TAIL_BEFORE_HEAD, variants that must pass; OLD_FLUSH and MUT_*, planted
 * bugs that Spin must find (docs/queue-model.md lists them).
 */

#ifndef N
#define N 3
#endif
#ifndef M
#define M (3 * N)
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

inline publish() {
#ifdef MUT_LINK_BEFORE_TERMINATE
  /* Links c before cutting its old link: a consumer can run past c. */
  d_step { chain[h] = c; L[h] = c }                    /* q:35-36 */
  d_step { chain[c] = INV; L[c] = INV; h = c }         /* q:33-34, q:37 */
#else
  d_step { chain[c] = INV; L[c] = INV }                /* q:33-34 */
  d_step { chain[h] = c; L[h] = c; h = c }             /* q:35-37 */
#endif
  d_step { head = h; pub++ }                           /* q:38 (ghost: published) */
}

#ifdef TSO
/* x86-TSO lets the load of tail in force_push (q:85) overtake the stores
 * of publish() that precede it (loads never pass loads or RMWs, stores
 * never pass stores). maybe_load_tail() may do that load early, before any
 * of the three stores; force_push does it at q:85 if it is still pending. */
inline maybe_load_tail() {
  if
  :: !loaded -> d_step { t = tail; oldest = t & MASK; loaded = true }   /* q:85-86, early */
  :: true -> skip
  fi
}

inline publish_tso() {
  maybe_load_tail();
  d_step { chain[c] = INV; L[c] = INV }                /* q:33-34 */
  maybe_load_tail();
  d_step { chain[h] = c; L[h] = c; h = c }             /* q:35-37 */
  maybe_load_tail();
  d_step { head = h; pub++ }                           /* q:38 (ghost: published) */
}
#endif

inline first_push() {
  next = L[c];                                         /* q:42 */
  d_step { chain[c] = INV; L[c] = INV; h = c }         /* q:43-45 */
#ifdef TAIL_BEFORE_HEAD
  /* The protocol text's order; flush must cope with it too. */
  d_step { tail = c | FIRST; pub++ }                   /* q:49 */
  d_step { head = c }                                  /* q:48 */
#else
  d_step { head = c }                                  /* q:48 */
  d_step { tail = c | FIRST; pub++ }                   /* q:49 (ghost: published) */
#endif
  c = next;                                            /* q:50 */
  res = PUBLISHED
}

inline link_released_overrun() {
  d_step { chain[o] = next; L[o] = next; c = o; o = INV }   /* q:58-61 */
}

/* t: the tail value to replace; sets res. */
inline overrun() {
  x = t & MASK; nc = L[x]; nt = L[nc];                 /* q:67-69 */
  d_step {                                             /* q:70 CAS tail: t -> nt */
    if
    :: tail == t -> tail = nt; ok = true; drop(nc)
    :: else -> t = tail; ok = false
    fi
  }
  if
  :: ok -> o = x; c = nc; res = DISCARDED              /* q:72-74 */
  :: else -> c = x; res = PUBLISHED                    /* q:76-77 */
  fi
}

inline force_push() {
  if
  :: h == INV -> first_push()                          /* q:81 */
  :: else ->
    next = L[c];                                       /* q:82 */
#ifdef TSO
    publish_tso();                                     /* q:83 */
    if
    :: !loaded -> d_step { t = tail; oldest = t & MASK }   /* q:85-86 */
    :: else -> skip
    fi;
#else
    publish();                                         /* q:83 */
    d_step { t = tail; oldest = t & MASK }             /* q:85-86 */
#endif
    if
    :: oldest >= N -> res = ERROR                      /* q:87 */
    :: else ->
      if
      :: o != INV ->                                   /* q:89 */
        ok = false;
        if
#ifdef MUT_OVERRUN_NO_CONSUMED_CHECK
        :: true ->
#else
        :: (t & CONSUMED) == 0 ->                      /* q:90 */
#endif
          d_step {                                     /* q:91 CAS tail: t -> L[oldest] */
            if
            :: tail == t -> tail = L[oldest]; ok = true; drop(oldest)
            :: else -> t = tail
            fi
          }
        :: else -> skip
        fi;
        if
        :: ok -> c = oldest; res = DISCARDED           /* q:93-94 */
        :: else -> link_released_overrun(); res = PUBLISHED   /* q:97-98 */
        fi
      :: else ->
        if
        :: next != oldest -> c = next; res = PUBLISHED /* q:100-102 */
        :: else ->
          res = UNDECIDED;
          if
#ifdef MUT_FULL_NO_CONSUMED_CHECK
          :: true ->
#else
          :: (t & CONSUMED) == 0 ->                    /* q:104 */
#endif
            d_step {                                   /* q:105-106 CAS tail: t -> L[oldest] */
              if
              :: tail == t -> tail = L[oldest]; ok = true; drop(oldest)
              :: else -> ok = false
              fi
            }
            if
            :: ok -> c = next; res = DISCARDED         /* q:108-109 */
            :: else -> t = t | CONSUMED                /* q:113 */
            fi
          :: else -> skip
          fi;
          if
          :: res == UNDECIDED -> overrun()             /* q:115 */
          :: else -> skip
          fi
        fi
      fi
    fi
  fi
}

inline try_push() {
  if
  :: h == INV -> first_push()                          /* q:119 */
  :: else ->
    next = L[c];                                       /* q:120 */
    d_step { t = tail; oldest = t & MASK }             /* q:121-122 */
    if
    :: oldest >= N -> res = ERROR                      /* q:123 */
    :: else ->
      if
      :: o != INV && (t & CONSUMED) == 0 -> res = FULL /* q:125-126 */
      :: o != INV && (t & CONSUMED) != 0 ->
        publish();                                     /* q:127 */
        link_released_overrun();                       /* q:128 */
        res = PUBLISHED
      :: o == INV && next == oldest -> res = FULL      /* q:131 */
      :: o == INV && next != oldest ->
        publish();                                     /* q:132 */
        c = next;                                      /* q:133 */
        res = PUBLISHED
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

inline take_moved_tail() {                             /* q:139-144 */
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
  d_step { t = tail; startpub = pub }                  /* q:159 (ghost: pop begins) */
  if
  :: t == INV -> r = NOTHING                           /* q:160 */
  :: else ->
    r = 0;
    if
    :: (t & CONSUMED) == 0 ->                          /* q:161 */
      d_step {                                         /* q:162 fetch_or(tail, CONSUMED) */
        t = tail; tail = tail | CONSUMED;
        if :: TAKES(t) -> held = t & MASK :: else -> skip fi
      }
      if
      :: t == INV -> r = NOTHING                       /* q:163 */
      :: (t & CONSUMED) == 0 -> take_moved_tail()      /* q:164 */
      :: else -> skip
      fi
    :: else -> skip
    fi;
    if
    :: r != 0 -> skip
    :: r == 0 && cur == INV -> r = ERROR               /* q:167 */
    :: r == 0 && cur != INV ->
      d_step { x = chain[cur] }                        /* q:168 */
      if
      :: x == INV -> r = NONEW                         /* q:169 */
      :: x != INV && x >= N -> r = ERROR               /* q:170 */
      :: x != INV && x < N ->
        d_step {                                       /* q:171 CAS tail: t -> x | CONSUMED */
          if
          :: tail == t -> tail = x | CONSUMED; held = x; ok = true
          :: else -> t = tail; ok = false
          fi
        }
        if
        :: ok -> cur = x; r = NEW                      /* q:173-174 */
#ifdef MUT_POP_NO_RECHECK
        :: else -> cur = x; held = x; r = NEW          /* trusts the stale link */
#else
        :: else ->
          d_step {                                     /* q:177 fetch_or(tail, CONSUMED) */
            t = tail; tail = tail | CONSUMED;
            if :: TAKES(t) -> held = t & MASK :: else -> skip fi
          }
          if
          :: t == INV || (t & CONSUMED) != 0 -> r = ERROR   /* q:178 */
          :: else ->
            take_moved_tail();                         /* q:179 */
            if :: r != ERROR -> r = GAP :: else -> skip fi  /* q:180 */
          fi
#endif
        fi
      fi
    fi
  fi
}

#ifdef OLD_FLUSH
/* flush as it was before the fix (q: lines of that version): it clears FIRST
 * with a CAS that does not move the tail, and it trusts a head that can lag
 * behind cur. See docs/queue-model.md. */
inline flush() {
  r = 0;
  startpub = INV;
  do
  :: r != 0 -> break
  :: else ->
    d_step {                                           /* q:185 fetch_or(tail, CONSUMED) */
      if :: startpub == INV -> startpub = pub :: else -> skip fi;   /* ghost: flush begins */
      t = tail; tail = tail | CONSUMED;
      if :: TAKES(t) -> held = t & MASK :: else -> skip fi
    }
    if
    :: t == INV -> r = NOTHING                         /* q:186 */
    :: t != INV && (t & MASK) >= N -> r = ERROR        /* q:187-188 */
    :: t != INV && (t & MASK) < N ->
      oldest = t & MASK;
      d_step { newest = head }                         /* q:189 */
      if
      :: newest == INV && (t & CONSUMED) != 0 -> r = ERROR       /* q:192 */
      :: newest == INV && (t & CONSUMED) == 0 -> take_moved_tail()
      :: newest != INV && newest >= N -> r = ERROR               /* q:193 */
      :: newest != INV && newest < N ->
        heldflag = ((t & CONSUMED) != 0);              /* q:195 */
        if
        :: heldflag && cur == INV -> r = ERROR         /* q:196 */
        :: heldflag && cur != INV && newest == cur -> r = NONEW  /* q:197 */
        :: else ->
          if
          :: heldflag -> d_step { gap = (chain[cur] != newest) }  /* q:201-202 */
          :: else -> gap = !((t & FIRST) != 0 && oldest == newest)  /* q:204 */
          fi;
          d_step {                                     /* q:206-207 CAS tail: t|C -> newest|C */
            if
            :: tail == (t | CONSUMED) -> tail = newest | CONSUMED; held = newest; ok = true
            :: else -> ok = false
            fi
          }
          if
          :: ok ->
            cur = newest;                              /* q:209 */
            if :: gap -> r = GAP :: else -> r = NEW fi  /* q:210 */
          :: else -> skip                              /* q:184: again */
          fi
        fi
      fi
    fi
  od
}

#else
inline flush() {
  r = 0;
  startpub = INV;
  do
  :: r != 0 -> break
  :: else ->
    d_step {                                           /* q:185 fetch_or(tail, CONSUMED) */
      if :: startpub == INV -> startpub = pub :: else -> skip fi;   /* ghost: flush begins */
      t = tail; tail = tail | CONSUMED;
      if :: TAKES(t) -> held = t & MASK :: else -> skip fi
    }
    if
    :: t == INV -> r = NOTHING                         /* q:186 */
    :: t != INV && (t & MASK) >= N -> r = ERROR        /* q:187-188 */
    :: t != INV && (t & MASK) < N ->
      oldest = t & MASK;
      heldflag = ((t & CONSUMED) != 0);                /* q:189 */
      if
      :: heldflag && cur == INV -> r = ERROR           /* q:190 */
      :: heldflag && cur != INV ->
        d_step { after = chain[cur] }                  /* q:198 */
        if
        :: after == INV -> r = NONEW                   /* q:199 */
        :: after != INV && after >= N -> r = ERROR     /* q:200 */
        :: else -> skip
        fi
      :: else -> skip
      fi;
      if
      :: r != 0 -> skip
      :: else ->
        d_step { newest = head }                       /* q:202 */
        if
        :: newest == INV && heldflag -> r = ERROR      /* q:205 */
        :: newest == INV && !heldflag -> take_moved_tail()
        :: newest != INV && newest >= N -> r = ERROR   /* q:206 */
        :: newest != INV && newest < N && heldflag && newest == cur -> r = NONEW   /* q:207 */
        :: newest != INV && newest < N && !heldflag && newest == oldest ->
          take_moved_tail()                            /* q:211 */
        :: else ->
          if
          :: heldflag -> gap = (after != newest)       /* q:215 */
          :: else -> gap = true                           /* q:215 */
          fi;
          d_step {                                     /* q:216-217 CAS tail: t|C -> newest|C */
            if
            :: tail == (t | CONSUMED) -> tail = newest | CONSUMED; held = newest; ok = true
            :: else -> ok = false
            fi
          }
          if
          :: ok ->
            cur = newest;                              /* q:219 */
            if :: gap -> r = GAP :: else -> r = NEW fi  /* q:220 */
          :: else -> skip                              /* q:184: again */
          fi
        fi
      fi
    fi
  od
}

#endif

inline has_news() {
  d_step { t = tail; startpub = pub }                  /* q:149 (ghost: call begins) */
  if
  :: t == INV -> news = false                          /* q:150 */
  :: t != INV && ((t & CONSUMED) == 0 || cur == INV) -> news = true  /* q:151 */
  :: else -> d_step { news = (chain[cur] != INV) }     /* q:152 */
  fi
}

/* What the application sees after pop (byflush false) or flush returned r. */
inline check_result(byflush) {
  if
  :: r == NEW || r == GAP ->
    d_step {                                           /* the application reads slot cur */
      assert(cur < N && cur == held);
      s = slot[cur];
      assert((dropped & (1 << s)) == 0);               /* (f) a discarded message is never read */
      if
      :: r == NEW -> assert(s == last + 1)             /* (b)(c) in order, nothing skipped */
      :: else -> assert(s > last + 1)                  /* (b)(c) a gap is a real gap */
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
  :: r == ERROR -> assert(false)
  fi;
  d_step { startpub = 0; t = 0; x = 0; oldest = 0; newest = 0; after = 0; ok = false; gap = false; heldflag = false }
}

proctype consumer() {
  byte cur = INV;           /* cur_ */
  byte t, x, oldest, newest, r;
  byte after;
  bool ok, gap, heldflag, news;
  byte startpub, s;         /* ghost */

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
