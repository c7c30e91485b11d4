#!/usr/bin/env python3
"""Checks a meta/tasks.parquet the way LeRobot reads it, without pyarrow.

LeRobot writes the task table with ``pd.DataFrame({"task_index": ...}, index=pd.Index(tasks, name="task")).to_parquet``
and reads it with ``pd.read_parquet``; ``item["task"]`` is then ``tasks.iloc[task_index].name``. pandas needs pyarrow or
fastparquet to read Parquet, and Debian bookworm packages neither, so this peer
  1. parses the file footer itself (Thrift compact protocol, FileMetaData: field 2 schema, field 5 key_value_metadata),
  2. checks the "pandas" metadata against what pyarrow's pandas_compat.construct_metadata derives from LeRobot's
     DataFrame as pandas builds it here (same column names, logical and numpy types, index description),
  3. rebuilds the DataFrame as pyarrow's table_to_dataframe does from that metadata (columns named in index_columns
     become the index, named after the matching "columns" entry) from the column values the caller passes on stdin
     (the one step that needs a Parquet page decoder), and checks LeRobot's lookups on it.
Usage: lerobot_tasks_check.py FILE < {"task_index": [...], "task": [...]}; prints "ok" or fails with a message.
"""
import json
import struct
import sys

import numpy as np
import pandas as pd


class Compact:
    """Minimal Thrift compact-protocol reader: enough to walk any struct and keep what we ask for."""

    def __init__(self, data):
        self.data, self.pos = data, 0

    def byte(self):
        b = self.data[self.pos]
        self.pos += 1
        return b

    def varint(self):
        shift = result = 0
        while True:
            b = self.byte()
            result |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                return result

    def zigzag(self):
        n = self.varint()
        return (n >> 1) ^ -(n & 1)

    def value(self, ttype):
        if ttype in (1, 2):  # booleans in a struct field header
            return ttype == 1
        if ttype == 3:
            return self.byte()
        if ttype in (4, 5, 6):
            return self.zigzag()
        if ttype == 7:
            self.pos += 8
            return None
        if ttype == 8:
            n = self.varint()
            raw = self.data[self.pos:self.pos + n]
            self.pos += n
            return raw
        if ttype in (9, 10):
            header = self.byte()
            size, elem = header >> 4, header & 0x0F
            if size == 15:
                size = self.varint()
            if elem in (1, 2):  # booleans inside a list are one byte each
                return [self.byte() == 1 for _ in range(size)]
            return [self.value(elem) for _ in range(size)]
        if ttype == 11:
            size = self.varint()
            if size == 0:
                return {}
            kv = self.byte()
            return {self.value(kv >> 4): self.value(kv & 0x0F) for _ in range(size)}
        if ttype == 12:
            return self.struct()
        raise ValueError(f"unknown thrift compact type {ttype} at byte {self.pos}")

    def struct(self):
        fields, last = {}, 0
        while True:
            header = self.byte()
            if header == 0:
                return fields
            delta, ttype = header >> 4, header & 0x0F
            fid = last + delta if delta else self.zigzag()
            fields[fid] = self.value(ttype)
            last = fid


def footer(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"PAR1" or data[-4:] != b"PAR1":
        raise SystemExit(f"{path}: not a Parquet file (no PAR1 magic)")
    (length,) = struct.unpack("<i", data[-8:-4])
    meta = Compact(data[-8 - length:-8]).struct()
    columns = [e[4].decode() for e in meta[2][1:]]  # skip the schema root
    kv = {e[1].decode(): e[2].decode() for e in meta.get(5, [])}
    return columns, kv


def expected_pandas_metadata(df):
    """The fields of pyarrow's construct_metadata for a DataFrame with one named, serialized index level."""
    def logical(series):
        kind = pd.api.types.infer_dtype(series, skipna=True)
        return "unicode" if kind == "string" else str(series.dtype)

    columns = [{"name": c, "field_name": c, "pandas_type": logical(df[c]), "numpy_type": str(df[c].dtype), "metadata": None}
               for c in df.columns]
    index = df.index
    columns.append({"name": index.name, "field_name": index.name, "pandas_type": logical(pd.Series(index)),
                    "numpy_type": str(index.dtype), "metadata": None})
    column_indexes = [{"name": df.columns.name, "field_name": df.columns.name, "pandas_type": logical(pd.Series(df.columns)),
                       "numpy_type": str(df.columns.dtype), "metadata": {"encoding": "UTF-8"}}]
    return {"index_columns": [index.name], "column_indexes": column_indexes, "columns": columns}


def main():
    path = sys.argv[1]
    values = json.load(sys.stdin)
    columns, kv = footer(path)
    if "pandas" not in kv:
        raise SystemExit(f"{path}: no 'pandas' key/value metadata; keys: {sorted(kv)}")
    meta = json.loads(kv["pandas"])

    tasks = values["task"]
    lerobot = pd.DataFrame({"task_index": np.arange(len(tasks), dtype=np.int64)}, index=pd.Index(tasks, name="task"))
    expected = expected_pandas_metadata(lerobot)
    for key, want in expected.items():
        if meta.get(key) != want:
            raise SystemExit(f"pandas metadata '{key}' is {meta.get(key)!r}, pyarrow would write {want!r}")
    if columns != ["task_index", "task"]:
        raise SystemExit(f"physical columns are {columns}, pyarrow writes ['task_index', 'task'] (index last)")

    # pyarrow's table_to_dataframe: index_columns become the index, named by their "columns" entry.
    by_field = {c["field_name"]: c for c in meta["columns"]}
    data = {c: values[c] for c in columns if c not in meta["index_columns"]}
    index_field = meta["index_columns"][0]
    frame = pd.DataFrame(data, index=pd.Index(values[index_field], name=by_field[index_field]["name"]))
    frame["task_index"] = frame["task_index"].astype(np.int64)
    pd.testing.assert_frame_equal(frame, lerobot)
    for i, text in enumerate(tasks):
        if frame.iloc[i].name != text:  # LeRobotDataset.__getitem__: item["task"] = tasks.iloc[task_idx].name
            raise SystemExit(f"tasks.iloc[{i}].name is {frame.iloc[i].name!r}, expected {text!r}")
        if int(frame.loc[text, "task_index"]) != i:
            raise SystemExit(f"tasks.loc[{text!r}, 'task_index'] is {frame.loc[text, 'task_index']}, expected {i}")
    print("ok")


if __name__ == "__main__":
    main()
