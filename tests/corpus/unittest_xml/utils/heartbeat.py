import os
import threading
import time


class Heartbeat(threading.Thread):
    """Background thread that rewrites a one-line heartbeat file every `every` seconds.

    The line is "<time> pid=<pid> step=<step>"; the watch script on the box
    flags a job whose heartbeat is older than a minute.
    """

    def __init__(self, path, every=20.0):
        super(Heartbeat, self).__init__(name="heartbeat", daemon=True)
        self.path = path
        self.every = every
        self.step = 0
        self._halt = threading.Event()

    def beat(self, step=None):
        if step is not None:
            self.step = step
        tmp = self.path + ".tmp"
        with open(tmp, "w") as f:
            f.write("%s pid=%d step=%d\n" % (time.strftime("%Y-%m-%d %H:%M:%S"),
                                             os.getpid(), self.step))
        os.replace(tmp, self.path)

    def run(self):
        while not self._halt.wait(self.every):
            self.beat()

    def stop(self):
        self._halt.set()
