# The hostile local user of bins/spire-agent/tests/it/hostile.rs (stdlib only; run as uid 65534).
#
# usage: hostile_attacker.py MODE AGENT_SOCKET RELAY_SOCKET
#
# The process started by the test (A) connects to the agent's Workload API socket, then forks a
# child (B) that keeps the connection. B listens on RELAY_SOCKET and relays one client's bytes
# to and from the inherited connection, so the test can speak gRPC over the connection A made
# (the agent sees A's peer credentials). Then, by MODE:
#   stay  A sleeps: the honest case, the connecting process is the caller;
#   exec  A execs the setuid-root /usr/bin/passwd (same pid, euid 0; it waits on stdin);
#   exit  A exits, freeing its pid for the test to hand to a root process.
# Lines on stdout: "pid <A's pid>", then "relay ready" once B listens (and, for exec, once A
# runs as euid 0).
import os
import select
import signal
import socket
import sys
import time

mode, agent_socket, relay_socket = sys.argv[1:4]

conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
conn.connect(agent_socket)
parent = os.getpid()
print(f"pid {parent}", flush=True)
# Give the agent time to accept (and bind) the connection while A is still itself.
time.sleep(0.5)


def euid_of(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("Uid:"):
                return int(line.split()[2])
    return None


def relay():
    signal.alarm(180)  # never outlive the test
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(relay_socket)
    os.chmod(relay_socket, 0o777)
    server.listen(1)
    if mode == "exec":
        while euid_of(parent) != 0:
            time.sleep(0.05)
    elif mode == "exit":
        while os.getppid() == parent:
            time.sleep(0.05)
    print("relay ready", flush=True)
    client, _ = server.accept()
    while True:
        ready, _, _ = select.select([client, conn], [], [])
        for src in ready:
            data = src.recv(65536)
            if not data:
                return
            (conn if src is client else client).sendall(data)


if os.fork() == 0:
    try:
        relay()
    finally:
        os._exit(0)

if mode == "stay":
    time.sleep(600)
elif mode == "exec":
    os.execv("/usr/bin/passwd", ["passwd"])
else:
    os._exit(0)
