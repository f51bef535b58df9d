"""HexxlaDB Python client: the buf-generated gRPC stubs plus a few hand-written helpers.

The generated modules live in gen/ (written by `buf generate --template buf.gen.clients.yaml`,
never edited). protoc's Python generator writes absolute imports such as
`from hexxladb.v1 import types_pb2` and `from google.rpc import status_pb2`, so gen/ must be a
sys.path root rather than a sub-package: importing this package puts it there. `google` is a
namespace package (Debian's python3-protobuf ships google/protobuf without an __init__.py), so
gen/google/rpc and the runtime's google/protobuf coexist.

Needs grpcio >= 1.51 and protobuf >= 3.20 (Debian 12: python3-grpcio, python3-protobuf).
See docs/clients.md.
"""

import os
import sys

_GEN_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "gen")
if _GEN_DIR not in sys.path:
    sys.path.insert(0, _GEN_DIR)

# These imports must follow the sys.path change above.
import grpc  # noqa: E402
from google.rpc import error_details_pb2, status_pb2  # noqa: E402
from hexxladb.v1 import (  # noqa: E402
    admin_service_pb2,
    admin_service_pb2_grpc,
    cell_service_pb2,
    cell_service_pb2_grpc,
    changelog_service_pb2,
    changelog_service_pb2_grpc,
    errors_pb2,
    header_pb2,
    mvcc_service_pb2,
    mvcc_service_pb2_grpc,
    types_pb2,
)

__all__ = [
    "Client",
    "ErrorDetails",
    "error_details",
    "admin_service_pb2",
    "cell_service_pb2",
    "changelog_service_pb2",
    "errors_pb2",
    "header_pb2",
    "mvcc_service_pb2",
    "types_pb2",
]

# The domain of every ErrorInfo the server sends (src/server/error-map.ts).
ERROR_DOMAIN = "hexxladb.dev"

_STATUS_DETAILS_KEY = "grpc-status-details-bin"


class ErrorDetails:
    """The rich error model of a failed call: gRPC code, message and google.rpc.ErrorInfo."""

    def __init__(self, code, message, info):
        self.code = code  # grpc.StatusCode
        self.message = message  # str
        self.info = info  # google.rpc.ErrorInfo, or None when the server sent none

    @property
    def reason(self):
        """ErrorInfo.reason (e.g. "NOT_FOUND"), or None."""
        return self.info.reason if self.info is not None else None

    def __repr__(self):
        return (f"ErrorDetails(code={self.code.name}, reason={self.reason!r},"
                f" message={self.message!r})")


def error_details(err):
    """Decodes a grpc.RpcError's `grpc-status-details-bin` trailer into an ErrorDetails.

    grpcio's own helper for this lives in the separate grpcio-status package, which Debian does
    not ship, so the google.rpc.Status trailer is parsed here with the generated messages.
    """
    info = None
    for key, value in err.trailing_metadata() or ():
        if key != _STATUS_DETAILS_KEY:
            continue
        status = status_pb2.Status.FromString(value)
        for detail in status.details:
            candidate = error_details_pb2.ErrorInfo()
            if detail.Unpack(candidate):
                info = candidate
                break
    return ErrorDetails(err.code(), err.details(), info)


class _BearerToken(grpc.AuthMetadataPlugin):
    def __init__(self, token):
        self._metadata = (("authorization", f"Bearer {token}"),)

    def __call__(self, context, callback):
        callback(self._metadata, None)


class Client:
    """One channel to a HexxlaDB server with a stub per service.

    `Client("127.0.0.1:50051")` opens a plaintext channel (the server's loopback default).
    Pass `root_certificates` (PEM bytes) for TLS, and `token` for bearer-token auth. gRPC only
    attaches call credentials to secure channels, so a token without TLS uses gRPC's local
    channel credentials: plaintext on the wire, allowed only to a loopback address.
    Use as a context manager, or call close().
    """

    def __init__(self, address, token=None, root_certificates=None):
        if root_certificates is not None:
            creds = grpc.ssl_channel_credentials(root_certificates=root_certificates)
        elif token is not None:
            creds = grpc.local_channel_credentials(grpc.LocalConnectionType.LOCAL_TCP)
        else:
            creds = None
        if token is not None:
            call_creds = grpc.metadata_call_credentials(_BearerToken(token))
            creds = grpc.composite_channel_credentials(creds, call_creds)
        channel = grpc.insecure_channel(address) if creds is None else grpc.secure_channel(
            address, creds)
        self.channel = channel
        self.cells = cell_service_pb2_grpc.CellServiceStub(channel)
        self.mvcc = mvcc_service_pb2_grpc.MvccServiceStub(channel)
        self.changelog = changelog_service_pb2_grpc.ChangelogServiceStub(channel)
        self.admin = admin_service_pb2_grpc.AdminServiceStub(channel)

    def wait_ready(self, timeout):
        """Blocks until the channel is connected; raises grpc.FutureTimeoutError after timeout s."""
        grpc.channel_ready_future(self.channel).result(timeout=timeout)

    def close(self):
        self.channel.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False
