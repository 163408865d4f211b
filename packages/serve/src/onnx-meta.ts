/**
 * Reads the descriptive fields of an ONNX ModelProto (producer, versions,
 * doc string, metadata_props) straight from the protobuf bytes.
 * onnxruntime-node does not expose metadata_props, and a full protobuf
 * library is a heavy runtime dependency for six top-level fields.
 */
export interface OnnxModelInfo {
  irVersion?: number;
  producerName?: string;
  producerVersion?: string;
  domain?: string;
  modelVersion?: number;
  docString?: string;
  opsetVersions: number[];
  metadata: Record<string, string>;
}

/** Field numbers from onnx.proto (ModelProto). */
const F = { irVersion: 1, producerName: 2, producerVersion: 3, domain: 4, modelVersion: 5, docString: 6, opsetImport: 8, metadataProps: 14 } as const;

export function readOnnxInfo(bytes: Uint8Array): OnnxModelInfo {
  const info: OnnxModelInfo = { opsetVersions: [], metadata: {} };
  const text = new TextDecoder();
  for (const field of fields(bytes)) {
    switch (field.no) {
      case F.irVersion:
        info.irVersion = Number(field.varint);
        break;
      case F.modelVersion:
        info.modelVersion = Number(field.varint);
        break;
      case F.producerName:
        if (field.bytes) info.producerName = text.decode(field.bytes);
        break;
      case F.producerVersion:
        if (field.bytes) info.producerVersion = text.decode(field.bytes);
        break;
      case F.domain:
        if (field.bytes) info.domain = text.decode(field.bytes);
        break;
      case F.docString:
        if (field.bytes) info.docString = text.decode(field.bytes);
        break;
      case F.opsetImport:
        if (field.bytes) for (const f of fields(field.bytes)) if (f.no === 2 && f.varint !== undefined) info.opsetVersions.push(Number(f.varint));
        break;
      case F.metadataProps:
        if (field.bytes) {
          let key = '';
          let value = '';
          for (const f of fields(field.bytes)) {
            if (f.no === 1 && f.bytes) key = text.decode(f.bytes);
            if (f.no === 2 && f.bytes) value = text.decode(f.bytes);
          }
          if (key) info.metadata[key] = value;
        }
        break;
    }
  }
  return info;
}

interface Field {
  no: number;
  varint?: bigint;
  bytes?: Uint8Array;
}

/** Walks the top-level fields of a protobuf message; stops quietly at malformed data. */
function* fields(buf: Uint8Array): Generator<Field> {
  let pos = 0;
  const varint = (): bigint | undefined => {
    let result = 0n;
    let shift = 0n;
    while (pos < buf.length) {
      const b = buf[pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 63n) return undefined;
    }
    return undefined;
  };
  while (pos < buf.length) {
    const key = varint();
    if (key === undefined) return;
    const no = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (wire === 0) {
      const v = varint();
      if (v === undefined) return;
      yield { no, varint: v };
    } else if (wire === 2) {
      const len = varint();
      if (len === undefined || pos + Number(len) > buf.length) return;
      const bytes = buf.subarray(pos, pos + Number(len));
      pos += Number(len);
      yield { no, bytes };
    } else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else return;
  }
}
