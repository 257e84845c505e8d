// The five stage operations through the AWS SDK for JavaScript v3.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateStorageConfigurationCommand, CreateStageCommand, GetStageCommand, UpdateStageCommand, DeleteStageCommand,
  ListStagesCommand, paginateListStages,
} from '@aws-sdk/client-ivs-realtime';
import { startServer, ivsClient } from './server.mjs';

let server, ivs, FULL;
before(async () => {
  server = await startServer();
  ivs = ivsClient(server.url);
  const { storageConfiguration } = await ivs.send(new CreateStorageConfigurationCommand({
    name: 'js-rec', s3: { bucketName: 'js-bucket' },
  }));
  FULL = { ...FULL_TEMPLATE, storageConfigurationArn: storageConfiguration.arn };
});
after(async () => { assert.equal(await server.stop(), 0); });

const FULL_TEMPLATE = {
  mediaTypes: ['AUDIO_ONLY'],
  thumbnailConfiguration: { targetIntervalSeconds: 30, storage: ['LATEST'], recordingMode: 'INTERVAL' },
  recordingReconnectWindowSeconds: 100,
  hlsConfiguration: { targetSegmentDurationSeconds: 5 },
  recordParticipantReplicas: false,
};

test('create, get, update, list and delete a stage', async () => {
  const { stage } = await ivs.send(new CreateStageCommand({
    name: 'js-stage', tags: { app: 'js' }, autoParticipantRecordingConfiguration: FULL,
  }));
  assert.match(stage.arn, /^arn:aws:ivs:us-east-1:123456789012:stage\/[A-Za-z0-9]{12}$/);
  assert.equal(stage.name, 'js-stage');
  assert.deepEqual(stage.tags, { app: 'js' });
  assert.deepEqual(stage.autoParticipantRecordingConfiguration, FULL);
  assert.deepEqual(Object.keys(stage.endpoints).sort(), ['events', 'rtmp', 'rtmps', 'whip']);

  const got = await ivs.send(new GetStageCommand({ arn: stage.arn }));
  assert.deepEqual(got.stage, stage);

  const up = await ivs.send(new UpdateStageCommand({ arn: stage.arn, name: 'js-renamed' }));
  assert.equal(up.stage.name, 'js-renamed');
  assert.deepEqual(up.stage.autoParticipantRecordingConfiguration, FULL);

  const list = await ivs.send(new ListStagesCommand({}));
  assert.deepEqual(list.stages.find((s) => s.arn === stage.arn),
    { arn: stage.arn, name: 'js-renamed', tags: { app: 'js' } });

  await ivs.send(new DeleteStageCommand({ arn: stage.arn }));
  await assert.rejects(ivs.send(new GetStageCommand({ arn: stage.arn })), (e) => {
    assert.equal(e.name, 'ResourceNotFoundException');
    assert.equal(e.$metadata.httpStatusCode, 404);
    assert.ok(e.message.includes(stage.arn));
    return true;
  });
});

test('the SDK paginator walks every stage once', async () => {
  const made = [];
  for (let i = 0; i < 9; i++) made.push((await ivs.send(new CreateStageCommand({ name: `p${i}` }))).stage.arn);
  const seen = [];
  let pages = 0;
  for await (const page of paginateListStages({ client: ivs, pageSize: 2 }, {})) {
    pages++;
    assert.ok(page.stages.length <= 2);
    seen.push(...page.stages.map((s) => s.arn));
  }
  assert.ok(pages >= 5);
  for (const arn of made) assert.equal(seen.filter((a) => a === arn).length, 1);
});

test('bad input is a ValidationException naming the member', async () => {
  const cases = [
    [new CreateStageCommand({ name: 'no spaces' }), "at 'name'"],
    [new CreateStageCommand({ autoParticipantRecordingConfiguration: { storageConfigurationArn: '', mediaTypes: ['VIDEO'] } }),
      "at 'autoParticipantRecordingConfiguration.mediaTypes'"],
    [new ListStagesCommand({ maxResults: 500 }), "at 'maxResults'"],
    [new ListStagesCommand({ nextToken: 'forged-token' }), 'nextToken'],
    [new GetStageCommand({ arn: 'arn:aws:ivs:us-east-1:123456789012:channel/x' }), "at 'arn'"],
  ];
  for (const [cmd, words] of cases) {
    await assert.rejects(ivs.send(cmd), (e) => {
      assert.equal(e.name, 'ValidationException');
      assert.equal(e.$metadata.httpStatusCode, 400);
      assert.ok(e.message.includes(words), e.message);
      return true;
    });
  }
});

test('regions do not see each other', async () => {
  const west = ivsClient(server.url, 'us-west-2');
  const { stage } = await west.send(new CreateStageCommand({ name: 'west' }));
  assert.ok(stage.arn.includes(':us-west-2:'));
  await assert.rejects(ivs.send(new GetStageCommand({ arn: stage.arn })), { name: 'ResourceNotFoundException' });
  const east = await ivs.send(new ListStagesCommand({ maxResults: 100 }));
  assert.ok(!east.stages.some((s) => s.arn === stage.arn));
});
