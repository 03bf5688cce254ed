#!/usr/bin/env python3
"""Stands in for dfx, didc and sleep (by the name it is called with) in a script the dfx-script
interpreter runs: sends the command to the interpreter over the socket DFX_SCRIPT_SOCKET names,
then prints the interpreter's answer and exits with its status."""
import json
import os
import socket
import sys

request = {"argv": [os.path.basename(sys.argv[0])] + sys.argv[1:], "cwd": os.getcwd()}
with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
    connection.connect(os.environ["DFX_SCRIPT_SOCKET"])
    connection.sendall(json.dumps(request).encode())
    connection.shutdown(socket.SHUT_WR)
    answer = b"".join(iter(lambda: connection.recv(65536), b""))
reply = json.loads(answer)
sys.stdout.write(reply["stdout"])
sys.stderr.write(reply["stderr"])
sys.exit(reply["status"])
