// face-api.js (@vladmandic/face-api, its ssd_mobilenetv1 + face_expression weights) for
// bench/compare.py: reads one image a line on stdin, answers one line on stdout.
//
//   in:  {"w": W, "h": H, "rgb": "<base64 of H*W*3 bytes, RGB>", "detect": true|false}
//   out: {"scores": {neutral, happy, sad, angry, fearful, disgusted, surprised} | null,
//         "faces": N, "box": [x, y, w, h] | null, "ms": expression (+ detection) time}
//
// detect: face-api's own SSD detector (default options) on the whole photo, then the
// expression net on the largest box, which is what detectAllFaces().withFaceExpressions()
// does; scores null when no face is found. Otherwise the image is taken as the face box:
// the expression net pads it to a square and resizes it to 112x112, as for a detected box.
// The first line out names the versions and the backend. The tfjs wasm backend has no
// threads under node (tfjs 4.22 turns them off there), so it runs on one core, with SIMD.
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const readline = require('readline');
const tf = require('@tensorflow/tfjs');
const wasm = require('@tensorflow/tfjs-backend-wasm');
const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');

// stdout is the protocol: whatever a library logs goes to stderr
console.log = console.error; // eslint-disable-line no-console

const MODELS = path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'model');

function sha256(file) {
  return crypto.createHash('sha256').update(fs.readFileSync(path.join(MODELS, file))).digest('hex');
}

async function setup() {
  await tf.setBackend('wasm');
  await tf.ready();
  await faceapi.nets.ssdMobilenetv1.loadFromDisk(MODELS);
  await faceapi.nets.faceExpressionNet.loadFromDisk(MODELS);
  return {
    'face-api': faceapi.version,
    tfjs: tf.version.tfjs,
    backend: tf.getBackend(),
    simd: await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'),
    threads: wasm.getThreadsCount(),
    node: process.version,
    detector: 'ssd_mobilenetv1, default options (minConfidence 0.5), largest box',
    weights_sha256: Object.fromEntries(['ssd_mobilenetv1_model.bin', 'face_expression_model.bin']
      .map((f) => [f, sha256(f)])),
  };
}

function area(d) {
  return d.detection.box.width * d.detection.box.height;
}

async function read(msg) {
  const pixels = new Uint8Array(Buffer.from(msg.rgb, 'base64'));
  const image = tf.tensor3d(pixels, [msg.h, msg.w, 3], 'int32');
  const start = process.hrtime.bigint();
  let scores = null;
  let faces = 1;
  let box = null;
  try {
    if (msg.detect) {
      const found = await faceapi.detectAllFaces(image, new faceapi.SsdMobilenetv1Options())
        .withFaceExpressions();
      faces = found.length;
      if (faces) {
        const largest = found.reduce((a, b) => (area(b) > area(a) ? b : a));
        const b = largest.detection.box;
        scores = { ...largest.expressions };
        box = [b.x, b.y, b.width, b.height];
      }
    } else {
      scores = { ...await faceapi.nets.faceExpressionNet.predictExpressions(image) };
    }
  } finally {
    image.dispose();
  }
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  return { scores, faces, box, ms };
}

async function main() {
  process.stdout.write(`${JSON.stringify(await setup())}\n`);
  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    if (line) process.stdout.write(`${JSON.stringify(await read(JSON.parse(line)))}\n`);
  }
}

main().catch((err) => {
  process.stderr.write(`faceapi.js: ${err.stack || err}\n`);
  process.exit(1);
});
