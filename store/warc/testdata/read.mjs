// read.mjs reads a WARC file with warcio (Webrecorder's JavaScript WARC
// library) and prints one JSON object per record, for warcio_test.go:
//
//	node read.mjs WARCIO_DIR FILE.warc[.gz]
//
// WARCIO_DIR is a directory whose node_modules holds warcio. The payload is
// hashed as it streams (sha1, hex), never held whole.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

const [dir, file] = process.argv.slice(2);
if (!dir || !file) {
  console.error("usage: node read.mjs WARCIO_DIR FILE");
  process.exit(2);
}
const { WARCParser } = createRequire(join(dir, "package.json"))("warcio");

const parser = new WARCParser(createReadStream(file));
for await (const record of parser) {
  const offset = parser.offset;
  const hash = createHash("sha1");
  let length = 0;
  for await (const chunk of record.reader) {
    hash.update(chunk);
    length += chunk.length;
  }
  const info = record.getResponseInfo();
  console.log(JSON.stringify({
    offset,
    type: record.warcType,
    target_uri: record.warcTargetURI ?? "",
    record_id: record.warcHeader("WARC-Record-ID") ?? "",
    concurrent_to: record.warcHeader("WARC-Concurrent-To") ?? "",
    warcinfo_id: record.warcHeader("WARC-Warcinfo-ID") ?? "",
    block_digest: record.warcBlockDigest ?? "",
    payload_digest: record.warcPayloadDigest ?? "",
    status: info ? Number(info.status) : 0,
    payload_sha1: hash.digest("hex"),
    payload_length: length,
  }));
}
