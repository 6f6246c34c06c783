// The editor's checks of the topic root and device topic id agree with what the connection accepts at deploy.
import assert from 'node:assert/strict';
import path from 'node:path';
import { topicSchema } from '../../../lib/publishing/topics';
import { registeredDefinition } from '../../helpers/editor-definition';
import { repoRoot } from '../../helpers/flow';

type Validated = { validate: (value: string) => boolean };

describe('mlops-c8y editor: topic root and device topic id', () => {
  const defaults = registeredDefinition(path.join(repoRoot, 'nodes', 'mlops-c8y.html'), 'mlops-c8y').defaults;
  const accepts = (field: 'topicRoot' | 'deviceTopicId', value: string) => {
    try {
      topicSchema(field === 'topicRoot' ? value : '', field === 'deviceTopicId' ? value : '');
      return true;
    } catch {
      return false;
    }
  };

  for (const [field, values] of [
    ['topicRoot', ['', 'te', 'plant', ' te ', 'te/x', 'te+', '#', 'a\u0001b']],
    ['deviceTopicId', ['', 'device/main//', 'device/gw-7', 'device/gw-7/', 'main', 'device//', 'device/a/b/c', 'device/+//', 'thing/a//']],
  ] as const) {
    for (const value of values) {
      it(`${field} ${JSON.stringify(value)}: the editor marks it ${accepts(field, value) ? 'valid' : 'invalid'}, as the deploy does`, () => {
        assert.equal((defaults[field] as unknown as Validated).validate(value), accepts(field, value));
      });
    }
  }

  it('lets ${VAR} through to Node-RED\'s environment substitution', () => {
    assert.equal((defaults.topicRoot as unknown as Validated).validate('${TOPIC_ROOT}'), true);
    assert.equal((defaults.deviceTopicId as unknown as Validated).validate('${DEVICE_ID}'), true);
  });
});
