import assert from 'node:assert/strict';
import {
  assess, ConditionInspector, conditionSettings, DEFAULT_SETTINGS, pictureQuality, StateDebouncer, validateRules,
  type ConditionSettings,
} from '../../../lib/condition';
import { checkerboard, greyPicture, segmentation } from '../../helpers/condition-fixtures';

const noPictureChecks: ConditionSettings = { ...DEFAULT_SETTINGS, minSharpness: 0, minBrightness: 0, maxBrightness: 255 };

describe('condition: picture quality', () => {
  it('a flat picture has sharpness 0 and its grey level as brightness', () => {
    const q = pictureQuality(greyPicture(16, 16, () => 100));
    assert.equal(q.sharpness, 0);
    assert.ok(Math.abs(q.brightness - 100) < 1e-9, String(q.brightness));
  });

  it('a 1-pixel checkerboard has Laplacian ±1020 everywhere: variance 1020² = 1040400', () => {
    const q = pictureQuality(checkerboard);
    assert.ok(Math.abs(q.sharpness - 1040400) < 1e-6, String(q.sharpness));
    assert.ok(Math.abs(q.brightness - 127.5) < 1e-9, String(q.brightness));
  });

  it('1-pixel vertical stripes give Laplacian ±510: variance 260100; pure red has brightness 0.299 × 255', () => {
    assert.ok(Math.abs(pictureQuality(greyPicture(20, 10, (x) => (x % 2 ? 255 : 0))).sharpness - 260100) < 1e-6);
    const red = greyPicture(4, 4, () => 0);
    for (let i = 0; i < red.data.length; i += 3) red.data[i] = 255;
    assert.ok(Math.abs(pictureQuality(red).brightness - 76.245) < 1e-9);
  });

  it('refuses what is not raw pixels', () => {
    assert.throws(() => pictureQuality({ ...checkerboard, data: Buffer.alloc(5) }), { code: 'bad-image' });
  });
});

describe('condition: rules', () => {
  it('the worst matching rule wins, with every fired rule as a reason', () => {
    const critical = assess(segmentation({ tower: 1000, rust: 60, cable: 500 }), undefined, noPictureChecks);
    assert.equal(critical.state, 'CRITICAL');
    assert.equal(critical.score, 1);
    assert.equal(critical.assetType, 'tower');
    assert.deepEqual(critical.reasons, ['rust / tower = 0.06 > 0.05 → CRITICAL', 'rust / tower = 0.06 > 0.01 → WARNING']);
    assert.deepEqual(critical.ratios, { background: 0.8440, tower: 0.1, cable: 0.05, rust: 0.006, 'rust/tower': 0.06 });
    assert.equal(critical.quality, null);

    const warning = assess(segmentation({ tower: 1000, rust: 30 }), undefined, noPictureChecks);
    assert.deepEqual([warning.state, warning.score, warning.reasons], ['WARNING', 0.5, ['rust / tower = 0.03 > 0.01 → WARNING']]);

    const ok = assess(segmentation({ tower: 1000, rust: 10, cable: 2000 }), undefined, noPictureChecks);
    assert.deepEqual([ok.state, ok.score, ok.reasons, ok.assetType], ['OK', 0, [], 'cable']);
  });

  it('compares with >=, <, <= and "image" as denominator, and skips rules whose denominator is absent', () => {
    const rules = validateRules([
      { numerator: 'cable', denominator: 'image', operator: '<', threshold: '0.01', state: 'WARNING' },
      { numerator: 'rust', denominator: 'image', operator: '>=', threshold: 0.005, state: 'CRITICAL', score: 0.9 },
      { numerator: 'rust', denominator: 'cable', operator: '<=', threshold: 0, state: 'OK' },
    ]);
    const settings = { ...noPictureChecks, rules };
    const a = assess(segmentation({ tower: 1000, rust: 50 }), undefined, settings);
    assert.deepEqual([a.state, a.score], ['CRITICAL', 0.9]);
    assert.deepEqual(a.reasons, ['rust / image = 0.005 >= 0.005 → CRITICAL', 'cable / image = 0 < 0.01 → WARNING']);
    assert.equal('rust/cable' in a.ratios, false);
    const b = assess(segmentation({ tower: 1000, rust: 0, cable: 300 }), undefined, settings);
    assert.deepEqual([b.state, b.reasons], ['OK', ['rust / cable = 0 <= 0 → OK']]);
  });

  it('explains invalid rows by number', () => {
    const cases: [unknown, RegExp][] = [
      [[{ numerator: '', operator: '>', threshold: 1, state: 'OK' }], /^Rule 1: the class to count \(numerator\) is empty/],
      [[DEFAULT_SETTINGS.rules[0], { numerator: 'rust', denominator: 'tower', operator: '=>', threshold: 1, state: 'OK' }], /^Rule 2: operator "=>" is not one of > >= < <=/],
      [[{ numerator: 'rust', operator: '>', threshold: 'lots', state: 'OK' }], /^Rule 1: threshold "lots" must be a number ≥ 0/],
      [[{ numerator: 'rust', operator: '>', threshold: 1, state: 'RETAKE' }], /^Rule 1: state "RETAKE" must be one of OK, WARNING, CRITICAL/],
      [[{ numerator: 'rust', denominator: 'rust', operator: '>', threshold: 1, state: 'OK' }], /^Rule 1: "rust \/ rust" is always 1/],
      [[{ numerator: 'rust', operator: '>', threshold: 1, state: 'OK', score: 2 }], /^Rule 1: score "2" must be between 0 and 1/],
    ];
    for (const [rows, message] of cases) assert.throws(() => validateRules(rows), (err: Error & { code?: string }) => err.code === 'bad-rule' && message.test(err.message));
    assert.throws(() => validateRules('rust > 1'), { code: 'bad-setting', message: "Expected list of rule rows for rules but received 'rust > 1' of type string" });
  });

  it('names the model classes when a rule or asset class uses an unknown label', () => {
    const settings = { ...noPictureChecks, rules: validateRules([{ numerator: 'rost', denominator: 'tower', operator: '>', threshold: 0, state: 'WARNING' }]) };
    assert.throws(() => assess(segmentation({ tower: 100 }), undefined, settings), {
      code: 'unknown-label',
      message: 'Rule 1 uses the class "rost", but the model\'s classes are background, tower, cable, rust. Change the node\'s settings to use these labels.',
    });
    assert.throws(() => assess(segmentation({ tower: 100 }), undefined, { ...noPictureChecks, assetClasses: ['pylon'] }), { code: 'unknown-label' });
  });

  it('reads and checks node settings', () => {
    const s = conditionSettings({ assetClasses: 'tower', minAssetRatio: '0.02', severityWARNING: 'MAJOR', severityOK: '', debounce: '3' });
    assert.deepEqual([s.assetClasses, s.minAssetRatio, s.severities.WARNING, s.severities.OK, s.debounce], [['tower'], 0.02, 'MAJOR', null, 3]);
    assert.deepEqual(conditionSettings({}).severities, { OK: null, WARNING: 'MINOR', CRITICAL: 'CRITICAL', RETAKE: 'WARNING' });
    assert.throws(() => conditionSettings({ minBrightness: 200, maxBrightness: 100 }), /Expected number of at most maxBrightness \(100\) for minBrightness but received 200 of type number/);
    assert.throws(() => conditionSettings({ severityCRITICAL: 'FATAL' }), /Expected one of CRITICAL, MAJOR, MINOR, WARNING, none for severityCRITICAL but received 'FATAL' of type string/);
    assert.throws(() => conditionSettings({ debounce: 0 }), /Expected integer from 1 to 1000 for debounce but received 0 of type number/);
  });
});

describe('condition: picture checks ask for a retake', () => {
  const seg = segmentation({ tower: 1000, rust: 60 });
  it('too blurry, too dark and too bright, with the measured figures', () => {
    const flatDark = assess(seg, greyPicture(16, 16, () => 20), DEFAULT_SETTINGS);
    assert.equal(flatDark.state, 'RETAKE');
    assert.equal(flatDark.score, 0);
    assert.deepEqual(flatDark.reasons, ['too blurry: sharpness 0 < 15 (variance of the Laplacian)', 'too dark: brightness 20 < 30']);
    const bright = assess(seg, greyPicture(32, 32, (x, y) => ((x + y) % 2 ? 255 : 240)), DEFAULT_SETTINGS);
    assert.deepEqual(bright.reasons, ['too bright: brightness 247.5 > 230']);
    assert.equal(bright.quality!.sharpness, 3600);
  });

  it('no asset found when the asset classes cover too little of the picture', () => {
    const r = assess(segmentation({ tower: 20, cable: 10 }), checkerboard, DEFAULT_SETTINGS);
    assert.deepEqual([r.state, r.assetType, r.reasons], ['RETAKE', 'none', ['no asset found: tower + cable cover 0.3% of the picture, below 0.5%']]);
  });

  it('a sharp, well lit picture goes on to the rules', () => {
    assert.equal(assess(seg, greyPicture(32, 32, (x, y) => ((x + y) % 2 ? 160 : 100)), DEFAULT_SETTINGS).state, 'CRITICAL');
  });

  it('needs msg.image when the picture is to be checked', () => {
    assert.throws(() => assess(seg, undefined, DEFAULT_SETTINGS), { code: 'no-image' });
    assert.throws(() => assess(undefined, checkerboard, DEFAULT_SETTINGS), { code: 'no-segmentation' });
    assert.throws(() => assess({ classes: 'x' }, checkerboard, DEFAULT_SETTINGS), { code: 'bad-segmentation' });
  });
});

describe('condition: debounce per asset', () => {
  it('changes state only after N agreeing inspections in a row', () => {
    const d = new StateDebouncer(3);
    const seen = ['OK', 'CRITICAL', 'CRITICAL', 'OK', 'CRITICAL', 'CRITICAL', 'CRITICAL', 'CRITICAL', 'WARNING']
      .map((s) => d.update('t1', s as 'OK'))
      .map((r) => `${r.state}${r.changed ? '*' : ''}`);
    assert.deepEqual(seen, ['OK*', 'OK', 'OK', 'OK', 'OK', 'OK', 'CRITICAL*', 'CRITICAL', 'CRITICAL']);
  });

  it('keeps assets apart, reports RETAKE at once without touching the remembered state', () => {
    const d = new StateDebouncer(2);
    d.update('a', 'OK');
    d.update('b', 'CRITICAL');
    assert.deepEqual(d.update('a', 'WARNING'), { state: 'OK', previousState: 'OK', changed: false, pending: { state: 'WARNING', seen: 1, needed: 2 } });
    assert.deepEqual(d.update('a', 'RETAKE'), { state: 'RETAKE', previousState: 'OK', changed: false });
    assert.deepEqual(d.update('a', 'WARNING'), { state: 'WARNING', previousState: 'OK', changed: true });
    assert.equal(d.update('b', 'CRITICAL').state, 'CRITICAL');
  });

  it('the inspector writes the contract fields with severity and debounce reason', () => {
    const inspector = new ConditionInspector({ ...noPictureChecks, debounce: 2, defaultAssetId: 'tower-7' });
    const first = inspector.inspect(segmentation({ tower: 1000, rust: 60 }), undefined);
    assert.deepEqual({ ...first, ratios: undefined }, {
      assetId: 'tower-7', assetType: 'tower', state: 'CRITICAL', score: 1, severity: 'CRITICAL',
      reasons: ['rust / tower = 0.06 > 0.05 → CRITICAL', 'rust / tower = 0.06 > 0.01 → WARNING'],
      ratios: undefined, thresholds: { 'rust/tower': [0.05, 0.01] }, quality: null, previousState: null, changed: true,
    });
    const second = inspector.inspect(segmentation({ tower: 1000 }), undefined, 'tower-7');
    assert.deepEqual([second.state, second.severity, second.changed, second.reasons],
      ['CRITICAL', 'CRITICAL', false, ['OK seen 1 of 2 times in a row; state stays CRITICAL']]);
    const other = inspector.inspect(segmentation({ tower: 1000, rust: 20 }), undefined, 'tower-8');
    assert.deepEqual([other.assetId, other.state, other.severity], ['tower-8', 'WARNING', 'MINOR']);
  });
});
