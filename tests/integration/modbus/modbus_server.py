#!/usr/bin/python3
"""A Modbus device for the integration tests and the benchmark, on pymodbus 3.0.0.

Serves the values listed in a JSON spec, each encoded here with Python's struct module (an
encoder independent of the gateway's decoder):
  [{"table": "holding", "address": 0, "type": "float32",
    "word_order": "big", "byte_order": "little", "raw": 1234.5}, ...]
Every table holds addresses 0..SIZE-1; a read beyond them gets exception 2 (illegal data
address), as a real device answers for unmapped registers.

  modbus_server.py --spec FILE --port N        Modbus TCP on 127.0.0.1:N
  modbus_server.py --spec FILE --serial PATH   Modbus RTU on a serial port (one end of a PTY pair)
Prints "ready" on stdout once it serves. Run with /usr/bin/python3: Debian's python3-pymodbus
(with python3-serial and python3-serial-asyncio, which it imports even for TCP).
"""
import argparse
import asyncio
import json
import struct
import sys

from pymodbus.datastore import (ModbusSequentialDataBlock, ModbusServerContext,
                                ModbusSlaveContext)
from pymodbus.server import StartAsyncSerialServer, StartAsyncTcpServer
from pymodbus.transaction import ModbusRtuFramer, ModbusSocketFramer

SIZE = 2000
FORMATS = {"int16": ">h", "uint16": ">H", "int32": ">i", "uint32": ">I", "float32": ">f",
           "int64": ">q", "uint64": ">Q", "float64": ">d"}


def encode(entry):
    """The registers (or the one bit) that hold entry's raw value, as the device stores them."""
    kind = entry["type"]
    raw = entry["raw"]
    if kind == "bool":
        return [1 if raw else 0]
    if not kind.startswith("float"):
        raw = int(raw)
    data = struct.pack(FORMATS[kind], raw)
    words = [data[i:i + 2] for i in range(0, len(data), 2)]
    if entry.get("word_order", "big") == "little":
        words.reverse()
    if entry.get("byte_order", "big") == "little":
        words = [word[::-1] for word in words]
    return [int.from_bytes(word, "big") for word in words]


def build_context(spec):
    tables = {name: [0] * SIZE for name in ("holding", "input", "coil", "discrete")}
    for entry in spec:
        values = encode(entry)
        start = entry["address"]
        tables[entry["table"]][start:start + len(values)] = values
    slave = ModbusSlaveContext(
        hr=ModbusSequentialDataBlock(0, tables["holding"]),
        ir=ModbusSequentialDataBlock(0, tables["input"]),
        co=ModbusSequentialDataBlock(0, tables["coil"]),
        di=ModbusSequentialDataBlock(0, tables["discrete"]),
        zero_mode=True)  # address N is index N (the default maps N to N + 1)
    return ModbusServerContext(slaves=slave, single=True)


async def serve(args, context):
    if args.serial:
        # The serial server's default framer is ASCII, whatever its class says: name RTU.
        server = await StartAsyncSerialServer(context=context, framer=ModbusRtuFramer,
                                              port=args.serial, baudrate=args.baud,
                                              defer_start=True)
        await server.start()
        print("ready", flush=True)
        await server.serve_forever()
    else:
        server = await StartAsyncTcpServer(context=context, address=("127.0.0.1", args.port),
                                           framer=ModbusSocketFramer, allow_reuse_address=True,
                                           defer_start=True)
        task = asyncio.create_task(server.serve_forever())
        await server.serving
        print("ready", flush=True)
        await task


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--spec", required=True)
    parser.add_argument("--port", type=int)
    parser.add_argument("--serial")
    parser.add_argument("--baud", type=int, default=19200)
    args = parser.parse_args()
    with open(args.spec, encoding="utf-8") as file:
        context = build_context(json.load(file))
    asyncio.run(serve(args, context))


if __name__ == "__main__":
    sys.exit(main())
