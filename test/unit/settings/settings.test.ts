// The settings toolkit: one formula for every invalid setting, empty fields take the fallback.
import assert from 'node:assert/strict';
import {
  badSetting, booleanSetting, enumSetting, integerSetting, nonNegativeInteger, numberSetting, positiveInteger, positiveNumber, textSetting,
} from '../../../lib/settings';

describe('settings toolkit', () => {
  it('phrases every refusal as "Expected … for … but received … of type …", code bad-setting', () => {
    assert.throws(() => positiveInteger('abc', 'queueSize', 4), {
      code: 'bad-setting', message: "Expected positive integer for queueSize but received 'abc' of type string",
      details: { setting: 'queueSize', expected: 'positive integer', received: "'abc' of type string" },
    });
    assert.throws(() => positiveNumber(-1, 'width', 1), { message: 'Expected positive number for width but received -1 of type number' });
    assert.equal(badSetting('x', 'y', [1]).message, 'Expected y for x but received [1] of type array');
  });

  it('takes the fallback for an empty field: undefined, null, "" and blanks', () => {
    for (const empty of [undefined, null, '', '  ']) assert.equal(nonNegativeInteger(empty, 'queueSize', 4), 4);
    assert.equal(positiveInteger('', 'width', undefined), undefined);
  });

  it('reads numbers typed as text and refuses what is not one', () => {
    assert.equal(nonNegativeInteger(' 0 ', 'queueSize', 4), 0);
    assert.equal(positiveNumber('2.5', 'timeout', 1), 2.5);
    for (const bad of ['abc', '2.5', '-1', 'Infinity', true, {}, [3]]) assert.throws(() => nonNegativeInteger(bad, 'queueSize', 4), { code: 'bad-setting' }, String(bad));
  });

  it('checks ranges, inclusive or exclusive', () => {
    assert.equal(numberSetting('1', 'opacity', 0.5, { min: 0, max: 1 }), 1);
    assert.throws(() => numberSetting('1', 'threshold', 0.5, { min: 0, max: 1, exclusive: true }),
      { message: "Expected number above 0 and below 1 for threshold but received '1' of type string" });
    assert.throws(() => integerSetting(0, '--count', undefined, { min: 1, max: 100 }),
      { message: 'Expected integer from 1 to 100 for --count but received 0 of type number' });
    assert.throws(() => integerSetting(-1, 'minArea', 0, { min: 0 }), { message: 'Expected integer of at least 0 for minArea but received -1 of type number' });
  });

  it('reads enums, booleans and text', () => {
    assert.equal(enumSetting(' jimp ', 'decoder', ['auto', 'sharp', 'jimp'], 'auto'), 'jimp');
    assert.throws(() => enumSetting('gpu', 'decoder', ['auto', 'sharp', 'jimp'], 'auto'),
      { message: "Expected one of auto, sharp, jimp for decoder but received 'gpu' of type string" });
    assert.equal(booleanSetting('false', 'warmup', true), false);
    assert.equal(booleanSetting(undefined, 'warmup', true), true);
    assert.throws(() => booleanSetting('yes', 'warmup', true), { message: "Expected boolean for warmup but received 'yes' of type string" });
    assert.equal(textSetting('  a ', 'name', ''), 'a');
  });
});
