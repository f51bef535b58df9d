#!/usr/bin/env python3
"""Runnable example of the generated HexxlaDB Python client (docs/clients.md).

Connects to HEXXLA_ADDRESS (default 127.0.0.1:50051; HEXXLA_TOKEN, if set, is sent as a bearer
token), puts a cell, reads it back, lists the cells carrying its tag, prints the response
header's commit seq for each call, and shows one typed error: GetCell on an absent coordinate
fails with NOT_FOUND and a google.rpc.ErrorInfo (reason "NOT_FOUND") in grpc-status-details-bin.

Exits 0 when every step behaved as described, 1 otherwise (with the reason on stderr).
Run with Debian's interpreter: /usr/bin/python3 clients/python/example.py
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import grpc  # noqa: E402
from hexxladb_client import (  # noqa: E402
    ERROR_DOMAIN,
    Client,
    cell_service_pb2 as cells_pb,
    error_details,
    header_pb2,
    types_pb2,
)

TIMEOUT_S = 10
TAG = "python-example"
CELL_COORD = types_pb2.Coord(q=4, r=-2)
# Nothing in the example writes here, so on a fresh database GetCell must fail with NOT_FOUND.
ABSENT_COORD = types_pb2.Coord(q=-4096, r=4095)


class ExampleFailure(Exception):
    """A step returned something other than what the example expects."""


def expect(condition, what):
    if not condition:
        raise ExampleFailure(what)


def put_and_get(client):
    # A content unique to this run, so a re-run against the same database still proves that
    # the read returns this run's write (re-putting a coord writes a new version).
    content = f"hello from python at {time.time_ns()}"
    cell = types_pb2.Cell(coord=CELL_COORD, raw_content=content, tags=[TAG])
    put = client.cells.PutCell(cells_pb.PutCellRequest(cell=cell), timeout=TIMEOUT_S)
    print(f"PutCell        ({CELL_COORD.q},{CELL_COORD.r}) -> commit_seq {put.header.commit_seq}")
    expect(put.header.commit_seq > 0, "PutCell: header.commit_seq is 0")

    # Pin the read to the write's commit (read-your-writes; needs an MVCC database, the default).
    read_at = header_pb2.ReadAt(read_seq=put.header.commit_seq)
    got = client.cells.GetCell(
        cells_pb.GetCellRequest(coord=CELL_COORD, read_at=read_at), timeout=TIMEOUT_S)
    print(f"GetCell        ({CELL_COORD.q},{CELL_COORD.r}) -> {got.cell.raw_content!r}"
          f" at commit_seq {got.header.commit_seq} (head {got.header.head_seq})")
    expect(got.cell.raw_content == content, f"GetCell returned {got.cell.raw_content!r}")
    expect(list(got.cell.tags) == [TAG], f"GetCell returned tags {list(got.cell.tags)}")
    expect(got.header.commit_seq == put.header.commit_seq, "GetCell did not read the pinned seq")


def list_by_tag(client):
    coords = []
    token = ""
    while True:  # Page through all results; later pages are served at the first page's seq.
        page = cells_pb.ListCellsByTagRequest(
            tag=TAG, page=header_pb2.PageRequest(page_size=50, page_token=token))
        resp = client.cells.ListCellsByTag(page, timeout=TIMEOUT_S)
        coords.extend((c.coord.q, c.coord.r) for c in resp.cells)
        token = resp.page.next_page_token
        if not token:
            break
    print(f"ListCellsByTag {TAG!r} -> {coords} at commit_seq {resp.header.commit_seq}")
    expect((CELL_COORD.q, CELL_COORD.r) in coords, "ListCellsByTag did not list the cell")


def typed_error(client):
    try:
        client.cells.GetCell(cells_pb.GetCellRequest(coord=ABSENT_COORD), timeout=TIMEOUT_S)
    except grpc.RpcError as err:
        details = error_details(err)
        print(f"GetCell        ({ABSENT_COORD.q},{ABSENT_COORD.r}) -> {details.code.name},"
              f" ErrorInfo reason {details.reason!r} domain"
              f" {details.info.domain if details.info else None!r}: {details.message}")
        expect(details.code == grpc.StatusCode.NOT_FOUND, f"expected NOT_FOUND: {details!r}")
        expect(details.reason == "NOT_FOUND", f"expected reason NOT_FOUND: {details!r}")
        expect(details.info.domain == ERROR_DOMAIN, f"unexpected domain: {details.info!r}")
        return
    raise ExampleFailure(
        f"GetCell ({ABSENT_COORD.q},{ABSENT_COORD.r}) succeeded; expected NOT_FOUND")


def main():
    address = os.environ.get("HEXXLA_ADDRESS") or "127.0.0.1:50051"
    token = os.environ.get("HEXXLA_TOKEN") or None
    with Client(address, token=token) as client:
        try:
            client.wait_ready(TIMEOUT_S)
        except grpc.FutureTimeoutError:
            print(f"example: no server reachable at {address} within {TIMEOUT_S}s",
                  file=sys.stderr)
            return 1
        try:
            put_and_get(client)
            list_by_tag(client)
            typed_error(client)
        except grpc.RpcError as err:
            print(f"example: unexpected RPC failure: {error_details(err)!r}", file=sys.stderr)
            return 1
        except ExampleFailure as failure:
            print(f"example: FAILED: {failure}", file=sys.stderr)
            return 1
    print("example: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
