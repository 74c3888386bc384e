// onnx_model.mjs - a minimal ONNX model writer (protobuf wire format by hand), enough to
// express the benchmark's graphs: Gemm, Sigmoid, Mul, Sin, Cos, Concat with float
// initializers. No onnx package is needed; field numbers follow onnx.proto.

class Writer {
  constructor() { this.parts = []; this.length = 0; }
  bytes(u8) { this.parts.push(u8); this.length += u8.length; return this; }
  varint(v) {
    const out = [];
    let n = BigInt(v);
    do {
      let b = Number(n & 0x7fn);
      n >>= 7n;
      if (n > 0n) b |= 0x80;
      out.push(b);
    } while (n > 0n);
    return this.bytes(Uint8Array.from(out));
  }
  key(field, wire) { return this.varint((field << 3) | wire); }
  int(field, v) { return this.key(field, 0).varint(v); }
  float(field, v) {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    return this.key(field, 5).bytes(b);
  }
  blob(field, u8) { return this.key(field, 2).varint(u8.length).bytes(u8); }
  string(field, s) { return this.blob(field, new TextEncoder().encode(s)); }
  message(field, w) { return this.blob(field, w.finish()); }
  finish() {
    const out = new Uint8Array(this.length);
    let o = 0;
    for (const p of this.parts) { out.set(p, o); o += p.length; }
    return out;
  }
}

// An initializer: TensorProto {dims 1, data_type 2 (FLOAT = 1, INT64 = 7), name 8, raw_data 9}
// from a Float32Array or a BigInt64Array (little-endian, as raw_data wants).
function tensor(name, dims, data) {
  const w = new Writer();
  for (const d of dims) w.int(1, d);
  w.int(2, data instanceof BigInt64Array ? 7 : 1).string(8, name);
  return w.blob(9, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
}

// ValueInfoProto {name 1, type 2: TypeProto {tensor_type 1: {elem_type 1, shape 2}}};
// a dimension is a number (dim_value 1) or a string (dim_param 2).
function valueInfo(name, dims) {
  const shape = new Writer();
  for (const d of dims) {
    const dim = new Writer();
    if (typeof d === 'number') dim.int(1, d); else dim.string(2, d);
    shape.message(1, dim);
  }
  const tt = new Writer().int(1, 1).message(2, shape);
  return new Writer().string(1, name).message(2, new Writer().message(1, tt));
}

// NodeProto {input 1, output 2, name 3, op_type 4, attribute 5}; attributes are ints
// (AttributeProto {name 1, i 3, type 20 = INT (2)}) or floats (f 2, type FLOAT (1)).
function node(op, inputs, outputs, attrs = {}) {
  const w = new Writer();
  for (const i of inputs) w.string(1, i);
  for (const o of outputs) w.string(2, o);
  w.string(3, `${op}_${outputs[0]}`).string(4, op);
  for (const [name, v] of Object.entries(attrs)) {
    const a = new Writer().string(1, name);
    if (Number.isInteger(v)) a.int(3, v).int(20, 2); else a.float(2, v).int(20, 1);
    w.message(5, a);
  }
  return w;
}

// A graph builder: g.input/.output/.init/.op, then g.bytes() is a serialised ModelProto.
export class Graph {
  constructor() { this.nodes = []; this.inits = []; this.inputs = []; this.outputs = []; this.n = 0; }
  input(name, dims) { this.inputs.push(valueInfo(name, dims)); return name; }
  output(name, dims) { this.outputs.push(valueInfo(name, dims)); return name; }
  init(name, dims, data) { this.inits.push(tensor(name, dims, data)); return name; }
  op(op, inputs, attrs = {}, out = `t${this.n++}`) {
    this.nodes.push(node(op, inputs, [out], attrs));
    return out;
  }
  // ModelProto {ir_version 1, producer_name 2, graph 7, opset_import 8 {domain 1, version 2}}
  // GraphProto {node 1, name 2, initializer 5, input 11, output 12}
  bytes() {
    const g = new Writer();
    for (const n of this.nodes) g.message(1, n);
    g.string(2, 'bench');
    for (const t of this.inits) g.message(5, t);
    for (const i of this.inputs) g.message(11, i);
    for (const o of this.outputs) g.message(12, o);
    return new Writer().int(1, 8).string(2, 'thinkdiff-bench').message(7, g)
      .message(8, new Writer().string(1, '').int(2, 17)).finish();
  }
}
