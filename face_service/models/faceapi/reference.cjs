// The original: face-api's age/gender and expression networks on TensorFlow.js (CPU backend) in Node.
// Used by the tests to check face_service.models.faceapi_convert's ONNX graphs against the source.
//
//   node reference.cjs MODEL_DIR INPUT.f32 COUNT  ->  JSON {age: [...], gender: [[male, female]...], expression: [[7]...]}
//
// INPUT.f32 holds COUNT RGB images of 112 x 112 pixels, float32 values 0..255, row-major [COUNT, 112, 112, 3].
// Each image is passed as a tensor of the network's input size, so face-api neither pads nor resizes it.
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');
const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');

const SIDE = 112;

async function load(net, modelDir, name) {
  const manifest = JSON.parse(fs.readFileSync(path.join(modelDir, `${name}-weights_manifest.json`), 'utf8'));
  const specs = [];
  const buffers = [];
  for (const group of manifest) {
    for (const p of group.paths) buffers.push(fs.readFileSync(path.join(modelDir, p)));
    specs.push(...group.weights);
  }
  const all = Buffer.concat(buffers);
  const weightMap = tf.io.decodeWeights(all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength), specs);
  net.loadFromWeightMap(weightMap);
}

async function main() {
  const [modelDir, inputPath, countText] = process.argv.slice(2);
  const count = Number(countText);
  await tf.setBackend('cpu');
  await tf.ready();
  const raw = fs.readFileSync(inputPath);
  const data = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
  if (data.length !== count * SIDE * SIDE * 3) throw new Error(`expected ${count} images of ${SIDE}x${SIDE}x3`);
  const ageGender = new faceapi.AgeGenderNet();
  const expression = new faceapi.FaceExpressionNet();
  await load(ageGender, modelDir, 'age_gender_model');
  await load(expression, modelDir, 'face_expression_model');
  const out = { age: [], gender: [], expression: [] };
  for (let i = 0; i < count; i += 1) {
    const image = tf.tensor3d(data.subarray(i * SIDE * SIDE * 3, (i + 1) * SIDE * SIDE * 3), [SIDE, SIDE, 3]);
    const ag = await ageGender.forward(image);
    out.age.push(Array.from(ag.age.dataSync())[0]);
    out.gender.push(Array.from(ag.gender.dataSync()));
    const ex = await expression.forward(image);
    out.expression.push(Array.from(ex.dataSync()));
    tf.dispose([image, ag.age, ag.gender, ex]);
  }
  process.stdout.write(JSON.stringify(out));
}

main().catch((err) => { console.error(err); process.exit(1); });
