#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Run a command next to a fresh fake Chorus Pro server.

usage: with_server.py [--tls] [--config FILE.json] [--workdir DIR] -- CMD...

Starts fake_chorus.py on a random loopback port (HTTPS with --tls, with a
throw-away CA made by make-cert.sh), waits for it to be ready, runs CMD
with FAKE_CHORUS_* and FACTURE_CHORUS_* variables describing it, stops the
server and exits with CMD's status (77, "skipped", passes through).  If
the server fails to start or dies, prints its log and exits 1.
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True
import fake_chorus  # noqa: E402  (for the default credentials)


def print_log(path):
    sys.stderr.write("---- fake Chorus Pro server log (%s) ----\n" % path)
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            sys.stderr.write(f.read())
    except OSError as e:
        sys.stderr.write("(cannot read it: %s)\n" % e)
    sys.stderr.write("---- end of server log ----\n")


def stop(proc, timeout=5.0):
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def main():
    argv = sys.argv[1:]
    if "--" not in argv:
        sys.stderr.write("usage: with_server.py [--tls] [--config FILE] "
                         "[--workdir DIR] -- CMD [ARGS...]\n")
        return 2
    cut = argv.index("--")
    ap = argparse.ArgumentParser(prog="with_server.py")
    ap.add_argument("--tls", action="store_true")
    ap.add_argument("--config")
    ap.add_argument("--workdir")
    args = ap.parse_args(argv[:cut])
    cmd = argv[cut + 1:]
    if not cmd:
        sys.stderr.write("with_server.py: no command after --\n")
        return 2

    made_workdir = args.workdir is None
    workdir = args.workdir or tempfile.mkdtemp(prefix="fake-chorus-")
    os.makedirs(workdir, exist_ok=True)
    log = os.path.join(workdir, "fake-chorus.log")
    ready = os.path.join(workdir, "fake-chorus.ready")
    for p in (ready, log):
        if os.path.exists(p):
            os.unlink(p)

    server = None
    child = None

    def on_signal(signum, _frame):
        # ctest timeout or ^C: take the children down with us.
        if child is not None:
            stop(child, 2.0)
        if server is not None:
            stop(server, 2.0)
        sys.exit(128 + signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    try:
        env = dict(os.environ)
        srv_cmd = [sys.executable, os.path.join(HERE, "fake_chorus.py"),
                   "--port", "0", "--ready-file", ready, "--log", log,
                   "--exit-with-parent"]
        if args.config:
            srv_cmd += ["--config", args.config]
        if args.tls:
            certs = os.path.join(workdir, "certs")
            rc = subprocess.call(["sh", os.path.join(HERE, "make-cert.sh"),
                                  certs])
            if rc == 77:
                sys.stderr.write("with_server.py: openssl missing, skip\n")
                return 77
            if rc != 0:
                sys.stderr.write("with_server.py: make-cert.sh failed "
                                 "(exit %d)\n" % rc)
                return 1
            srv_cmd += ["--tls-cert", os.path.join(certs, "server.pem"),
                        "--tls-key", os.path.join(certs, "server.key")]
            env["FAKE_CHORUS_CACERT"] = os.path.join(certs, "ca.pem")
            env["FAKE_CHORUS_WRONG_CACERT"] = os.path.join(certs,
                                                           "wrong-ca.pem")

        server = subprocess.Popen(srv_cmd, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.DEVNULL,
                                  stderr=open(log + ".stderr", "w"))
        deadline = time.monotonic() + 10.0
        info = None
        while time.monotonic() < deadline:
            if os.path.exists(ready):
                with open(ready, encoding="utf-8") as f:
                    info = json.load(f)
                break
            if server.poll() is not None:
                break
            time.sleep(0.05)
        if info is None:
            sys.stderr.write("with_server.py: the fake server did not start"
                             " (exit status %s)\n" % server.poll())
            print_log(log)
            print_log(log + ".stderr")
            return 1

        cfg = dict(fake_chorus.DEFAULT_CONFIG)
        if args.config:
            with open(args.config, encoding="utf-8") as f:
                cfg.update(json.load(f))
        url = info["url"]
        env.update({
            "FAKE_CHORUS_URL": url,
            "FAKE_CHORUS_LOG": log,
            "FAKE_CHORUS_WORKDIR": workdir,
            "FACTURE_CHORUS_API_URL": url,
            "FACTURE_CHORUS_TOKEN_URL": url + "/api/oauth/token",
            "FACTURE_CHORUS_CLIENT_ID": cfg["client_id"],
            "FACTURE_CHORUS_CLIENT_SECRET": cfg["client_secret"],
            "FACTURE_CHORUS_LOGIN": cfg["login"],
            "FACTURE_CHORUS_PASSWORD": cfg["password"],
        })
        try:
            child = subprocess.Popen(cmd, env=env)
        except OSError as e:
            sys.stderr.write("with_server.py: cannot run %s: %s\n"
                             % (cmd[0], e))
            return 1
        rc = child.wait()
        if rc < 0:
            sys.stderr.write("with_server.py: %s killed by signal %d\n"
                             % (cmd[0], -rc))
            rc = 128 - rc
        if server.poll() is not None:
            sys.stderr.write("with_server.py: the fake server died during "
                             "the test (exit status %d)\n" % server.poll())
            print_log(log)
            print_log(log + ".stderr")
            return 1
        if rc not in (0, 77):
            print_log(log)
        return rc
    finally:
        if child is not None:
            stop(child, 2.0)
        if server is not None:
            stop(server)
        if made_workdir and not os.environ.get("FAKE_CHORUS_KEEP"):
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
