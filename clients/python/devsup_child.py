"""devsup_child: graceful restarts under devsup for a Python app (the Python twin of devsup/child).

    from devsup_child import on_shutdown, ready

    on_shutdown('db pool', pool.close, timeout_ms=2000)
    on_shutdown('http server', server.shutdown)
    ready()

    sock = listen_sockets()[0]   # devsup --socket 8000: the held listening socket (fd 3), [] without devsup

Under devsup (DEVSUP_IPC=1, the channel on fd NODE_CHANNEL_FD) it speaks the protocol of docs/PROTOCOL.md; without
devsup (production) SIGTERM and SIGINT run the same cleanups. Standard library only, Python 3.8 or later.

How it works: a daemon thread reads the channel. A shutdown (devsup's message, SIGTERM, SIGINT, or the channel reaching
EOF because devsup died) runs the cleanups on a shutdown thread while the app's main thread carries on: last
registered first, one at a time, each bounded by its timeout. A cleanup registered inside a running asyncio loop
(plain or async) runs on that loop, since asyncio objects are not thread-safe; every other one runs on a thread of its
own (an async one on a fresh loop there). Then the main thread is woken with a signal whose handler raises
SystemExit(0 or 1): whatever it was blocked in (time.sleep, serve_forever, asyncio.run, queue.get, join) is
interrupted, its finally blocks and the interpreter's own exit run (atexit, multiprocessing's finalizers: no leaked
semaphores), exactly as after sys.exit() in the main thread. If the main thread has already ended (the app lives on in
other threads), the exit handlers run on the shutdown thread instead. An exit that hangs (a swallowed SystemExit, a
thread that never ends) is cut short after the stop timeout.
"""

import errno
import json
import math
import os
import signal
import socket
import sys
import threading
import time

__all__ = ['on_shutdown', 'ready', 'extend_deadline', 'is_shutting_down', 'listen_sockets']

SDK_VERSION = 'python/0.1.0'
MAX_LINE = 1 << 20  # longer lines on the channel are dropped, as devsup does
MAX_TEXT = 2000  # names and errors are cut to this many characters (docs/PROTOCOL.md)
POLL_S = 0.05  # how often a wait re-reads the deadline (extend_deadline moves it)
MIN_SLICE_S = 0.1  # a cleanup whose turn comes after the deadline still gets this long

# Wakes the main thread once the cleanups are done: a signal nobody else uses, so that its handler is ours. A
# realtime signal where there are some (Linux), SIGUSR2 elsewhere.
_WAKE = getattr(signal, 'SIGRTMAX', None) or getattr(signal, 'SIGUSR2', None)


class _State:
    def __init__(self):
        self.entries = []
        self.began = threading.Lock()  # acquired once, without blocking: the first trigger wins
        self.shutting_down = False
        self.signalled = False
        self.deadline = None  # time.monotonic() by which the cleanups should be done; None: no bound
        self.exit_code = None
        self.ready_sent = False
        self.fd = None  # the channel; None when not supervised or when it is gone
        self.send_lock = threading.Lock()
        self.stop_timeout_s = 5.0
        self.wake_installed = False
        self.ordered = False  # a services run (DEVSUP_ORDERED=1): a terminal's first Ctrl-C is left to devsup


_state = _State()


def on_shutdown(name, fn, timeout_ms=None):
    """Registers a cleanup to run on shutdown: fn() (plain or async), within timeout_ms (default: what is left of
    the deadline). Cleanups run last registered first, one at a time. Returns a function that unregisters it."""
    if not isinstance(name, str) or name == '':
        raise TypeError('on_shutdown(name, fn): name must be a non-empty string')
    if not callable(fn):
        raise TypeError('on_shutdown(%r, fn): fn must be callable' % name)
    if timeout_ms is not None and (
        isinstance(timeout_ms, bool) or not isinstance(timeout_ms, (int, float)) or not timeout_ms >= 0 or math.isinf(timeout_ms)
    ):
        raise TypeError('on_shutdown(%r): timeout_ms must be a non-negative number, got %r' % (name, timeout_ms))
    entry = _Entry(name, fn, timeout_ms, _running_loop())
    _state.entries.append(entry)

    def unregister():
        try:
            _state.entries.remove(entry)
        except ValueError:
            pass

    return unregister


def ready():
    """Tells devsup that the app is serving. Optional: without it the start counts as ready after readyTimeout."""
    if _state.ready_sent:
        return
    _state.ready_sent = True
    _send({'type': 'ready'})


def extend_deadline(ms):
    """Asks devsup for ms more milliseconds to finish shutting down, counted from now (devsup grants it up to its
    maxStopTimeout). Returns False when there is nothing to ask: no shutdown under way, or no supervisor."""
    if isinstance(ms, bool) or not isinstance(ms, (int, float)) or not ms >= 0 or math.isinf(ms):
        raise TypeError('extend_deadline(ms): ms must be a non-negative number, got %r' % (ms,))
    if not _state.shutting_down or _state.fd is None:
        return False
    until = time.monotonic() + ms / 1000
    if _state.deadline is not None and until > _state.deadline:
        _state.deadline = until
    return _send({'type': 'extend', 'ms': int(round(ms))})


def is_shutting_down():
    """True once a shutdown has begun (from devsup, a signal, or the supervisor going away)."""
    return _state.shutting_down


class _Entry:
    def __init__(self, name, fn, timeout_ms, loop):
        self.name = name
        self.fn = fn
        self.timeout_ms = timeout_ms
        self.loop = loop  # the event loop running where it was registered, if any


def _running_loop():
    asyncio = sys.modules.get('asyncio')  # an app that never imported asyncio runs no loop: no import cost
    if asyncio is None:
        return None
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


# --- the channel ------------------------------------------------------------------------------------------------

def _send(message):
    fd = _state.fd
    if fd is None:
        return False
    message = dict(message, devsup=1)
    data = (json.dumps(message) + '\n').encode('utf-8')
    try:
        with _state.send_lock:
            while data:
                data = data[os.write(fd, data):]
        return True
    except OSError:  # devsup is gone (EPIPE), or the app closed the descriptor
        _state.fd = None
        return False


def _read(fd):
    pending = b''
    skipping = False  # the rest of an over-long line
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError as e:
            if e.errno != errno.ECONNRESET:
                return  # the descriptor was closed under us (by the app): not devsup going away
            chunk = b''
        if not chunk:
            # EOF: devsup's end closed, which it does only by dying (it closes its end after the app's exit).
            _state.fd = None
            _begin('disconnect', _state.stop_timeout_s)
            return
        pending += chunk
        while True:
            nl = pending.find(b'\n')
            if nl == -1:
                break
            line, pending = pending[:nl], pending[nl + 1:]
            if skipping:
                skipping = False
            else:
                _receive(line)
        if len(pending) > MAX_LINE:
            pending, skipping = b'', True


def _receive(line):
    # Anything that is not a well-formed shutdown message is ignored, never raised: garbage must not crash the app.
    try:
        message = json.loads(line.decode('utf-8'))
    except Exception:
        return
    if not isinstance(message, dict) or message.get('devsup') != 1 or message.get('type') != 'shutdown':
        return
    ms = message.get('deadlineMs')
    valid = isinstance(ms, (int, float)) and not isinstance(ms, bool) and math.isfinite(ms) and ms >= 0
    _begin('ipc', ms / 1000 if valid else _state.stop_timeout_s)


# --- shutdown ---------------------------------------------------------------------------------------------------

def _on_signal(signum, frame):
    # A second signal while the cleanups run means "now", and so does devsup's SIGTERM after its own request to
    # stop (its deadline passed). But a terminal's Ctrl-C reaches the app and devsup at once, and devsup's request
    # may be read first: that SIGINT is the same Ctrl-C, not a second one, and must not cut the cleanups short.
    forced = _state.signalled or (_state.shutting_down and signum != signal.SIGINT)
    # A services run stops its apps in dependency order: the Ctrl-C that reached every app at once waits for
    # devsup's request to this one (a second Ctrl-C still means now).
    waits = _state.ordered and _state.fd is not None and signum == signal.SIGINT and not _state.signalled and not _state.shutting_down
    _state.signalled = True
    if waits:
        return
    if forced:
        _flush()
        os._exit(128 + signum)
    supervised = _state.fd is not None
    _begin(signal.Signals(signum).name, _state.stop_timeout_s if supervised else None)


def _on_wake(signum, frame):
    if _state.exit_code is not None:
        raise SystemExit(_state.exit_code)


def _begin(trigger, deadline_s):
    # Exactly once per process, however many triggers arrive. A non-blocking acquire never deadlocks, even in a
    # signal handler that interrupted the main thread inside _begin.
    if not _state.began.acquire(False):
        return
    _state.shutting_down = True
    if deadline_s is not None:
        _state.deadline = time.monotonic() + deadline_s
    if trigger == 'disconnect':
        # Nobody will escalate for us: the process ends at the latest one second after the stop timeout.
        _later(deadline_s + 1, lambda: _force_exit(1))
    # Not a daemon: if the app's main thread ends meanwhile, the interpreter waits for the cleanups before it exits.
    threading.Thread(target=_shutdown, name='devsup-shutdown', daemon=False).start()


def _shutdown():
    import concurrent.futures  # noqa: F401 (loaded here, not by every start of the app)

    _send({'type': 'stopping', 'cleanups': [_cut(e.name) for e in reversed(_state.entries)]})
    results = []
    # pop(): last registered first, and a cleanup registered while others run is not lost.
    while _state.entries:
        entry = _state.entries.pop()
        _send({'type': 'cleanup', 'name': _cut(entry.name), 'status': 'started', 'ms': 0})
        result = _run_one(entry)
        _send(dict(result, type='cleanup'))
        if _state.fd is None and result['status'] != 'done':
            # Without a supervisor to report to, a failure still must not vanish.
            error = (': ' + result['error']) if 'error' in result else ''
            sys.stderr.write('[devsup_child] cleanup "%s" %s after %d ms%s\n' % (result['name'], result['status'], result['ms'], error))
        results.append(result)
    code = 0 if all(r['status'] == 'done' for r in results) else 1
    _send({'type': 'shutdown-done', 'results': results, 'openHandles': _audit()})
    _finish(code)


def _run_one(entry):
    import concurrent.futures

    started = time.monotonic()
    loop = entry.loop
    if loop is not None and loop.is_running() and not loop.is_closed():
        import asyncio

        future = asyncio.run_coroutine_threadsafe(_on_loop(entry.fn), loop)
    else:
        loop = None
        future = concurrent.futures.Future()
        threading.Thread(target=_in_thread, args=(entry.fn, future), name='devsup-cleanup', daemon=True).start()
    own_end = None if entry.timeout_ms is None else started + entry.timeout_ms / 1000
    status, error = 'done', None
    while True:
        if own_end is not None:
            end = own_end
        elif _state.deadline is not None:
            end = max(_state.deadline, started + MIN_SLICE_S)
        else:
            end = None
        left = None if end is None else end - time.monotonic()
        if left is not None and left <= 0:
            future.cancel()  # on the loop this cancels the task; a thread runs on, abandoned
            status = 'timed-out'
            break
        try:
            failure = future.result(timeout=POLL_S if left is None else min(left, POLL_S))
        except concurrent.futures.TimeoutError:
            if loop is not None and loop.is_closed():
                status, error = 'failed', 'RuntimeError: the event loop closed before the cleanup finished'
                break
            continue
        except BaseException as e:  # cancelled by the loop's own teardown
            status, error = 'failed', _describe(e)
            break
        if failure is not None:
            status, error = 'failed', _describe(failure)
        break
    result = {'name': _cut(entry.name), 'status': status, 'ms': int(round((time.monotonic() - started) * 1000))}
    if error is not None:
        result['error'] = _cut(error)
    return result


async def _on_loop(fn):
    # Returns the error instead of raising it: SystemExit or KeyboardInterrupt raised in a task would escape the
    # app's event loop and end its main thread while the other cleanups still have to run.
    try:
        result = fn()
        if hasattr(result, '__await__'):
            await result
    except BaseException as e:
        import asyncio

        if isinstance(e, asyncio.CancelledError):
            raise
        return e
    return None


def _in_thread(fn, future):
    try:
        result = fn()
        if hasattr(result, '__await__'):
            import asyncio

            async def wait():
                await result

            asyncio.run(wait())  # a fresh loop: nothing in this thread runs one
    except BaseException as e:  # SystemExit (sys.exit in a cleanup) included: a failure, not an exit
        _settle(future, e)
        return
    _settle(future, None)


def _settle(future, failure):
    try:
        future.set_result(failure)
    except Exception:
        pass  # given up on meanwhile (timed out): nobody waits for it


def _audit():
    # What still keeps the process alive (or its exit waiting) after every cleanup ran: a cleanup is probably
    # missing for it. Threads the interpreter will wait for, and multiprocessing children it will join.
    found = []
    current = threading.current_thread()
    for t in threading.enumerate():
        if t is not current and t is not threading.main_thread() and not t.daemon and t.is_alive():
            found.append({'type': 'thread', 'detail': _cut(t.name)})
    mp = sys.modules.get('multiprocessing')
    if mp is not None:
        try:
            for p in mp.active_children():
                found.append({'type': 'child process', 'detail': 'pid %s (%s)' % (p.pid, _cut(p.name))})
        except Exception:
            pass
    return found


def _finish(code):
    _state.exit_code = code
    main = threading.main_thread()
    if main.is_alive() and _state.wake_installed and signal.getsignal(_WAKE) is _on_wake:
        # The main thread unwinds (SystemExit) and the interpreter exits as after sys.exit(code). If the app
        # swallows it, or its exit hangs, the process still ends within the stop timeout.
        _later(_state.stop_timeout_s, lambda: _force_exit(code))
        try:
            signal.pthread_kill(main.ident, _WAKE)
            return
        except OSError:
            pass  # it ended just now
    # The main thread has finished (the app lives on in its other threads), or cannot be woken (devsup_child was
    # imported outside it): run the interpreter's exit handlers here, then end.
    try:
        import atexit

        atexit._run_exitfuncs()
    finally:
        _force_exit(code)


def _force_exit(code):
    _flush()
    os._exit(code)


def _later(seconds, fn):
    timer = threading.Timer(seconds, fn)
    timer.daemon = True
    timer.start()


def _flush():
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass


def _describe(error):
    text = str(error)
    return type(error).__name__ + (': ' + text if text else '')


def _cut(text):
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT]


def listen_sockets():
    """The listening sockets devsup holds for the app (devsup --socket), or systemd passed: socket.socket objects
    for fds 3, 4, ... (LISTEN_FDS), in the order declared; [] when there are none, or when LISTEN_PID names another
    process (devsup leaves it unset for a command it does not start itself: then they are this process's). Their
    names (the ports, for devsup) are in LISTEN_FDNAMES. Pass them on, e.g. uvicorn --fd 3, gunicorn --bind fd://3."""
    pid = os.environ.get('LISTEN_PID')
    if pid not in (None, '', str(os.getpid())):
        return []
    try:
        count = int(os.environ.get('LISTEN_FDS', ''))
    except ValueError:
        return []
    return [socket.socket(fileno=3 + i) for i in range(max(count, 0))]


# --- on import --------------------------------------------------------------------------------------------------

def _install():
    env = os.environ
    try:
        ms = float(env.get('DEVSUP_STOP_TIMEOUT', ''))
        if math.isfinite(ms) and ms > 0:
            _state.stop_timeout_s = ms / 1000
    except ValueError:
        pass
    fd = None
    if env.get('DEVSUP_IPC') == '1':
        try:
            fd = int(env.get('NODE_CHANNEL_FD', ''))
            os.fstat(fd)
        except (ValueError, OSError):
            fd = None
    _state.ordered = env.get('DEVSUP_ORDERED') == '1'
    # Deleted so that processes the app starts do not take the channel for theirs (a Node child would open it).
    for name in ('DEVSUP_ORDERED', 'DEVSUP_IPC', 'DEVSUP_STOP_TIMEOUT', 'DEVSUP_READY_TIMEOUT', 'DEVSUP_PID', 'NODE_CHANNEL_FD', 'NODE_CHANNEL_SERIALIZATION_MODE'):
        env.pop(name, None)
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, _on_signal)
        if _WAKE is not None:
            signal.signal(_WAKE, _on_wake)
            _state.wake_installed = True
    if fd is not None:
        try:
            os.set_inheritable(fd, False)
        except OSError:
            pass
        _state.fd = fd
        # A daemon: the channel never keeps the app alive.
        threading.Thread(target=_read, args=(fd,), name='devsup-channel', daemon=True).start()
        _send({'type': 'hello', 'sdk': SDK_VERSION, 'pid': os.getpid()})


def _after_fork():
    # A forked child is not the process devsup started: the channel, the cleanups and any shutdown under way are
    # the parent's. It keeps only the signal handlers (SIGTERM/SIGINT then run its own cleanups).
    global _state
    parent, _state = _state, _State()
    _state.stop_timeout_s = parent.stop_timeout_s
    _state.wake_installed = parent.wake_installed


_install()
if hasattr(os, 'register_at_fork'):
    os.register_at_fork(after_in_child=_after_fork)
