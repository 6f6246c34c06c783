// The VQI example flow as a user imports it, on a fresh Node-RED with only this package: the bundled samples get
// their expected states over HTTP, a bad picture gets a 400 with the reason, and a picture dropped into the inbox
// reaches thin-edge's broker (a real mosquitto here) as te/ data for its asset.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { inspectOverHttp, samplePictures } from '../../bin/commands/start';
import { repoRoot } from '../helpers/flow';
import { EXPECTED_STATES as EXPECTED, useThinEdgeSide, useVqiRuntime } from '../helpers/vqi-example';

describe('VQI example flow', function () {
  this.timeout(90000);
  const side = useThinEdgeSide();
  const vqi = useVqiRuntime(side);

  it('gives each bundled sample its expected state over POST /vqi/inspect', async () => {
    const samples = samplePictures(path.join(repoRoot, 'samples'));
    assert.deepEqual(samples.map((f) => path.basename(f)).sort(), Object.keys(EXPECTED).sort());
    for (const file of samples) {
      const line = await inspectOverHttp(vqi.runtime.url, file);
      assert.equal(line.error, undefined, `${line.file}: ${line.error}`);
      assert.equal(line.state, EXPECTED[line.file], `${line.file}: ${JSON.stringify(line)}`);
      if (line.state === 'RETAKE') assert.ok(line.reasons!.some((r) => /too dark|too blurry/.test(r)), line.reasons!.join('; '));
      else assert.equal(line.assetType, 'tower');
    }
  });

  it('answers a picture it cannot read with HTTP 400 and the reason', async () => {
    const res = await fetch(`${vqi.runtime.url}/vqi/inspect?asset=broken`, {
      method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: Buffer.from('this is not a picture at all'),
    });
    assert.equal(res.status, 400);
    const body = (await res.json()) as { error: string };
    assert.match(body.error, /not an image|recogni[sz]ed|format/i);
  });

  it('inspects a picture dropped into the inbox and publishes it to thin-edge for its asset', async () => {
    const staged = path.join(side.inbox, '.tower-17.jpg.part');
    fs.copyFileSync(path.join(repoRoot, 'samples', 'tower-rusty.jpg'), staged);
    fs.renameSync(staged, path.join(side.inbox, 'tower-17.jpg'));
    const alarmTopic = 'te/device/tower-17///a/mlops_AssetCondition';
    await side.recorder.waitFor((all) => all.some((m) => m.topic === alarmTopic && m.payload !== ''), `an alarm on ${alarmTopic}`, 30000);
    const alarm = JSON.parse(side.recorder.on(alarmTopic).at(-1)!.payload) as { severity: string; text: string };
    assert.equal(alarm.severity, 'critical');
    assert.match(alarm.text, /tower-17/);
    const registration = side.recorder.on('te/device/tower-17//');
    assert.equal(JSON.parse(registration[0]!.payload)['@type'], 'child-device');
    const measurement = JSON.parse(side.recorder.on('te/device/tower-17///m/mlops_Inspection')[0]!.payload);
    assert.equal(typeof measurement.class_ratio.rust, 'number');
  });
});
