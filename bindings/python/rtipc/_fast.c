/*
 * rtipc._fast: the hot path of rtipc.Producer and rtipc.Consumer (produce,
 * consume, msg) compiled, over the C ABI of librtipc.so.1. ctypes costs a
 * few hundred nanoseconds per call and per message view; this module calls
 * rtipc_produce / rtipc_consume directly. It holds no protocol logic and no
 * other entry point: everything else stays in the ctypes binding, which is
 * also the whole fallback when this module is not built (channels.py).
 *
 * The rules are channels.py's: a message view belongs to one message; the
 * next produce() or consume() releases it, and while anything made from it
 * (a slice, .obj, cast(), numpy, ctypes) is alive, they raise BufferError
 * and do nothing. A view is exported by a Slot, which holds the channel's
 * mapping (channels._Mapping): whatever holds a view holds the memory.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <string.h>

#include <rtipc/rtipc.h>

/* Exports one message's bytes; counts the buffers it has given out. */
typedef struct {
  PyObject_HEAD void* ptr;
  Py_ssize_t size;
  int readonly;
  Py_ssize_t exports;
  PyObject* mapping;
} Slot;

static int slot_getbuffer(PyObject* obj, Py_buffer* view, int flags) {
  Slot* slot = (Slot*)obj;
  if (PyBuffer_FillInfo(view, obj, slot->ptr, slot->size, slot->readonly, flags) < 0) return -1;
  slot->exports++;
  return 0;
}

static void slot_releasebuffer(PyObject* obj, Py_buffer* view) {
  (void)view;
  ((Slot*)obj)->exports--;
}

static void slot_dealloc(PyObject* obj) {
  Py_XDECREF(((Slot*)obj)->mapping);
  Py_TYPE(obj)->tp_free(obj);
}

static PyBufferProcs slot_as_buffer = {slot_getbuffer, slot_releasebuffer};

static PyTypeObject SlotType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "rtipc._fast.Slot",
    .tp_doc = "The memory of one message (what a message view's .obj is).",
    .tp_basicsize = sizeof(Slot),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_dealloc = slot_dealloc,
    .tp_as_buffer = &slot_as_buffer,
};

/* The base of rtipc.Producer and rtipc.Consumer. */
typedef struct {
  PyObject_HEAD void* handle; /* rtipc_producer * or rtipc_consumer *; NULL once closed */
  int producer;
  Py_ssize_t size;
  PyObject* mapping;
  PyObject* results;  /* Produced or Consumed members, by value */
  PyObject* error;    /* errors.last_error(result, what) */
  PyObject* overlong; /* channels._overlong(bytes, msg_size): send's error */
  Slot* slot;         /* exports the view below; reused while nothing else holds it */
  PyObject* view;     /* the current message's view */
  PyObject* lent;     /* list of slots still held by something made from a view */
} Channel;

static int closed(void) {
  PyErr_SetString(PyExc_ValueError, "the channel is closed");
  return -1;
}

/* A slot that only the channel (or the lent list) holds. */
static int slot_free(Slot* slot) {
  return slot->exports == 0 && Py_REFCNT(slot) == 1;
}

/* Gives the current view back (the next use of it raises ValueError);
 * BufferError, and nothing released that is still in use, while anything
 * made from this or an earlier message's view lives. final: also lets go
 * of the channel's own slot (and so its reference to the mapping). */
static int drop(Channel* self, const char* what, int final) {
  if (self->view) {
    if (Py_REFCNT(self->view) > 1) { /* kept by the caller: release it */
      PyObject* r = PyObject_CallMethod(self->view, "release", NULL);
      if (!r) {
        if (PyErr_ExceptionMatches(PyExc_BufferError)) goto stale;
        return -1;
      }
      Py_DECREF(r);
    }
    Py_CLEAR(self->view);
  }
  if (self->slot && !slot_free(self->slot)) {
    if (!self->lent && !(self->lent = PyList_New(0))) return -1;
    if (PyList_Append(self->lent, (PyObject*)self->slot) < 0) return -1;
    Py_CLEAR(self->slot);
  } else if (final) {
    Py_CLEAR(self->slot);
  }
  if (self->lent) {
    Py_ssize_t kept = 0, n = PyList_GET_SIZE(self->lent);
    for (Py_ssize_t i = 0; i < n; i++) {
      PyObject* slot = PyList_GET_ITEM(self->lent, i);
      if (!slot_free((Slot*)slot)) {
        Py_INCREF(slot);
        PyList_SetItem(self->lent, kept++, slot);
      }
    }
    if (PyList_SetSlice(self->lent, kept, n, NULL) < 0) return -1;
    if (kept) goto stale;
    Py_CLEAR(self->lent);
  }
  return 0;
stale:
  PyErr_Format(PyExc_BufferError,
               "a view made from the previous message (a slice, numpy array or ctypes "
               "object) is still alive; delete it, or copy what you need, before the "
               "next %s()",
               what);
  return -1;
}

static PyObject* fail(Channel* self, int result, const char* what) {
  PyObject* exc = PyObject_CallFunction(self->error, "is", result, what);
  if (exc) {
    PyErr_SetObject((PyObject*)Py_TYPE(exc), exc);
    Py_DECREF(exc);
  }
  return NULL;
}

/* One optional flag argument, positional or by keyword. */
static int flag_arg(PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames, const char* name,
                    int* flag) {
  Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
  if (nargs + nkw > 1) {
    PyErr_Format(PyExc_TypeError, "takes at most one argument (%s)", name);
    return -1;
  }
  if (nkw && PyUnicode_CompareWithASCIIString(PyTuple_GET_ITEM(kwnames, 0), name) != 0) {
    PyErr_Format(PyExc_TypeError, "unexpected keyword argument %R (takes %s)",
                 PyTuple_GET_ITEM(kwnames, 0), name);
    return -1;
  }
  if (nargs + nkw == 1) {
    int v = PyObject_IsTrue(args[0]);
    if (v < 0) return -1;
    *flag = v;
  }
  return 0;
}

static PyObject* result(Channel* self, int r, const char* what) {
  if (r < 0) return fail(self, r, what);
  if (r >= PyTuple_GET_SIZE(self->results))
    return PyLong_FromLong(r); /* a newer library's answer */
  return Py_NewRef(PyTuple_GET_ITEM(self->results, r));
}

static PyObject* channel_produce(Channel* self, PyObject* const* args, Py_ssize_t nargs,
                                 PyObject* kwnames) {
  int force = 1;
  if (flag_arg(args, nargs, kwnames, "force", &force) < 0) return NULL;
  if (!self->producer) return PyErr_Format(PyExc_TypeError, "produce: not a producer");
  if ((self->view || self->lent) && drop(self, "produce", 0) < 0) return NULL;
  if (!self->handle) return closed(), NULL;
  int r = rtipc_produce(self->handle, force ? RTIPC_PRODUCE_FORCE : RTIPC_PRODUCE_TRY);
  return result(self, r, "produce");
}

static PyObject* channel_send(Channel* self, PyObject* const* args, Py_ssize_t nargs,
                              PyObject* kwnames) {
  int force = 1;
  if (nargs < 1) return PyErr_Format(PyExc_TypeError, "send: takes the data to send");
  if (flag_arg(args + 1, nargs - 1, kwnames, "force", &force) < 0) return NULL;
  if (!self->producer) return PyErr_Format(PyExc_TypeError, "send: not a producer");
  Py_buffer data;
  if (PyBytes_CheckExact(args[0])) { /* the common case, without the buffer protocol */
    if (PyBuffer_FillInfo(&data, NULL, PyBytes_AS_STRING(args[0]), PyBytes_GET_SIZE(args[0]), 1,
                          PyBUF_SIMPLE) < 0)
      return NULL;
  } else if (PyObject_GetBuffer(args[0], &data, PyBUF_SIMPLE) < 0) {
    return NULL;
  }
  PyObject* out = NULL;
  if (data.len > self->size) {
    PyObject* exc = PyObject_CallFunction(self->overlong, "nn", data.len, self->size);
    if (exc) {
      PyErr_SetObject((PyObject*)Py_TYPE(exc), exc);
      Py_DECREF(exc);
    }
  } else if ((self->view || self->lent) && drop(self, "produce", 0) < 0) {
    /* a view of an earlier message lives: nothing written */
  } else if (!self->handle) {
    closed();
  } else {
    memcpy(rtipc_producer_msg(self->handle), data.buf, (size_t)data.len);
    int r = rtipc_produce(self->handle, force ? RTIPC_PRODUCE_FORCE : RTIPC_PRODUCE_TRY);
    out = result(self, r, "produce");
  }
  PyBuffer_Release(&data);
  return out;
}

static PyObject* channel_consume(Channel* self, PyObject* const* args, Py_ssize_t nargs,
                                 PyObject* kwnames) {
  int latest = 0;
  if (flag_arg(args, nargs, kwnames, "latest", &latest) < 0) return NULL;
  if (self->producer) return PyErr_Format(PyExc_TypeError, "consume: not a consumer");
  if ((self->view || self->lent) && drop(self, "consume", 0) < 0) return NULL;
  if (!self->handle) return closed(), NULL;
  int r = rtipc_consume(self->handle, latest ? RTIPC_CONSUME_LATEST : RTIPC_CONSUME_NEXT);
  return result(self, r, "consume");
}

static PyObject* channel_msg(Channel* self, void* closure) {
  (void)closure;
  if (self->view) return Py_NewRef(self->view);
  if (!self->handle) return closed(), NULL;
  void* ptr =
      self->producer ? rtipc_producer_msg(self->handle) : (void*)rtipc_consumer_msg(self->handle);
  if (!ptr) Py_RETURN_NONE;
  if (!self->slot) {
    Slot* slot = PyObject_New(Slot, &SlotType);
    if (!slot) return NULL;
    slot->size = self->size;
    slot->readonly = !self->producer;
    slot->exports = 0;
    slot->mapping = Py_NewRef(self->mapping);
    self->slot = slot;
  }
  self->slot->ptr = ptr; /* free: no view of its last message is left */
  self->view = PyMemoryView_FromObject((PyObject*)self->slot);
  return Py_XNewRef(self->view);
}

static PyObject* channel_bind(Channel* self, PyObject* args) {
  PyObject *address, *mapping, *results, *error, *overlong;
  int producer;
  Py_ssize_t size;
  if (!PyArg_ParseTuple(args, "OpnOO!OO:_bind", &address, &producer, &size, &mapping, &PyTuple_Type,
                        &results, &error, &overlong))
    return NULL;
  void* handle = PyLong_AsVoidPtr(address);
  if (!handle && PyErr_Occurred()) return NULL;
  if (self->handle || self->mapping)
    return PyErr_Format(PyExc_RuntimeError, "_bind: bound already");
  self->handle = handle;
  self->producer = producer;
  self->size = size;
  self->mapping = Py_NewRef(mapping);
  self->results = Py_NewRef(results);
  self->error = Py_NewRef(error);
  self->overlong = Py_NewRef(overlong);
  Py_RETURN_NONE;
}

static PyObject* channel_drop(Channel* self, PyObject* args) {
  const char* what;
  int final;
  if (!PyArg_ParseTuple(args, "sp:_drop", &what, &final)) return NULL;
  if (drop(self, what, final) < 0) return NULL;
  Py_RETURN_NONE;
}

/* The handle is gone (closed, or the garbage collector): releases the view
 * where it can, never raises; what still holds a slot holds the mapping. */
static PyObject* channel_forget(Channel* self, PyObject* unused) {
  (void)unused;
  self->handle = NULL;
  if (self->view && Py_REFCNT(self->view) > 1) {
    PyObject* r = PyObject_CallMethod(self->view, "release", NULL);
    if (r)
      Py_DECREF(r);
    else
      PyErr_Clear(); /* exported: the export holds the slot */
  }
  Py_CLEAR(self->view);
  Py_CLEAR(self->slot);
  Py_CLEAR(self->lent);
  Py_RETURN_NONE;
}

static int channel_traverse(Channel* self, visitproc visit, void* arg) {
  Py_VISIT(self->mapping);
  Py_VISIT(self->results);
  Py_VISIT(self->error);
  Py_VISIT(self->overlong);
  Py_VISIT(self->view);
  Py_VISIT(self->lent);
  return 0;
}

static int channel_clear(Channel* self) {
  Py_CLEAR(self->view);
  Py_CLEAR(self->slot);
  Py_CLEAR(self->lent);
  Py_CLEAR(self->mapping);
  Py_CLEAR(self->results);
  Py_CLEAR(self->error);
  Py_CLEAR(self->overlong);
  return 0;
}

static void channel_dealloc(Channel* self) {
  PyObject_GC_UnTrack(self);
  channel_clear(self);
  Py_TYPE(self)->tp_free((PyObject*)self); /* a subclass's dealloc drops its type */
}

static PyMethodDef channel_methods[] = {
    {"produce", (PyCFunction)(void (*)(void))channel_produce, METH_FASTCALL | METH_KEYWORDS,
     "produce(force=True): publishes the message written at msg."},
    {"send", (PyCFunction)(void (*)(void))channel_send, METH_FASTCALL | METH_KEYWORDS,
     "send(data, force=True): copies data (bytes-like) into the message and produces it."},
    {"consume", (PyCFunction)(void (*)(void))channel_consume, METH_FASTCALL | METH_KEYWORDS,
     "consume(latest=False): moves to the oldest unread (or the newest) message."},
    {"_bind", (PyCFunction)channel_bind, METH_VARARGS,
     "_bind(handle_address, producer, msg_size, mapping, results, last_error, overlong)"},
    {"_drop", (PyCFunction)channel_drop, METH_VARARGS, "_drop(what, final)"},
    {"_forget", (PyCFunction)channel_forget, METH_NOARGS, "_forget()"},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef channel_getset[] = {
    {"msg", (getter)channel_msg, NULL,
     "The message: a memoryview over its slot (None before a consumer's first).", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject ChannelType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "rtipc._fast.Channel",
    .tp_doc = "The compiled hot path of a producer or consumer (see rtipc.channels).",
    .tp_basicsize = sizeof(Channel),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .tp_new = PyType_GenericNew,
    .tp_dealloc = (destructor)channel_dealloc,
    .tp_traverse = (traverseproc)channel_traverse,
    .tp_clear = (inquiry)channel_clear,
    .tp_methods = channel_methods,
    .tp_getset = channel_getset,
};

static struct PyModuleDef fast_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "rtipc._fast",
    .m_doc = "The compiled hot path of rtipc's channels (optional: ctypes is the fallback).",
    .m_size = -1,
};

PyMODINIT_FUNC PyInit__fast(void) {
  if (PyType_Ready(&SlotType) < 0 || PyType_Ready(&ChannelType) < 0) return NULL;
  PyObject* m = PyModule_Create(&fast_module);
  if (!m) return NULL;
  if (PyModule_AddObjectRef(m, "Channel", (PyObject*)&ChannelType) < 0 ||
      PyModule_AddObjectRef(m, "Slot", (PyObject*)&SlotType) < 0) {
    Py_DECREF(m);
    return NULL;
  }
  return m;
}
