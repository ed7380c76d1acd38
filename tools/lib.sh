# Shared by the tools/ scripts: sourced, not run.

# A TCP port on 127.0.0.1 that nothing listens on now (the kernel picks it).
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Two free ports in a row (region clusters take consecutive ports).
free_port_pair() {
  python3 - <<'PY'
import socket
for _ in range(100):
    first = socket.socket(); first.bind(("127.0.0.1", 0)); port = first.getsockname()[1]
    second = socket.socket()
    try:
        second.bind(("127.0.0.1", port + 1))
    except OSError:
        first.close(); continue
    first.close(); second.close(); print(port); break
PY
}

# Swift may sit outside PATH on a fresh machine.
if ! command -v swift >/dev/null && [[ -x /opt/swift/usr/bin/swift ]]; then
  export PATH="/opt/swift/usr/bin:$PATH"
fi
