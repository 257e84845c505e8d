// Tags and storage configurations through the AWS SDK for JavaScript v3.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateStageCommand, UpdateStageCommand, DeleteStageCommand,
  CreateStorageConfigurationCommand, GetStorageConfigurationCommand,
  ListStorageConfigurationsCommand, DeleteStorageConfigurationCommand,
  TagResourceCommand, UntagResourceCommand, ListTagsForResourceCommand,
} from '@aws-sdk/client-ivs-realtime';
import { startServer, ivsClient } from './server.mjs';

let server, ivs;
before(async () => { server = await startServer(); ivs = ivsClient(server.url); });
after(async () => { assert.equal(await server.stop(), 0); });

test('tag, untag and list tags of a stage and a storage configuration', async () => {
  const { storageConfiguration: sc } = await ivs.send(new CreateStorageConfigurationCommand({
    name: 'js', s3: { bucketName: 'js-bucket' }, tags: { a: '1' },
  }));
  assert.deepEqual(sc.s3, { bucketName: 'js-bucket' });
  const { stage } = await ivs.send(new CreateStageCommand({ tags: { a: '1' } }));
  for (const arn of [sc.arn, stage.arn]) {
    await ivs.send(new TagResourceCommand({ resourceArn: arn, tags: { b: '2', 'c d/e': '3' } }));
    await ivs.send(new UntagResourceCommand({ resourceArn: arn, tagKeys: ['a', 'c d/e'] }));
    const { tags } = await ivs.send(new ListTagsForResourceCommand({ resourceArn: arn }));
    assert.deepEqual(tags, { b: '2' });
  }
  await assert.rejects(ivs.send(new TagResourceCommand({ resourceArn: stage.arn, tags: { 'aws:x': '1' } })),
    { name: 'ValidationException' });
  await assert.rejects(ivs.send(new ListTagsForResourceCommand({
    resourceArn: 'arn:aws:ivs:us-east-1:123456789012:stage/missingStage1',
  })), { name: 'ResourceNotFoundException' });
});

test('storage configurations: get, list, conflict on delete, delete', async () => {
  const { storageConfiguration: sc } = await ivs.send(new CreateStorageConfigurationCommand({
    s3: { bucketName: 'busy-bucket' },
  }));
  const got = await ivs.send(new GetStorageConfigurationCommand({ arn: sc.arn }));
  assert.deepEqual(got.storageConfiguration, sc);
  const list = await ivs.send(new ListStorageConfigurationsCommand({ maxResults: 100 }));
  assert.ok(list.storageConfigurations.some((x) => x.arn === sc.arn));
  const { stage } = await ivs.send(new CreateStageCommand({
    autoParticipantRecordingConfiguration: { storageConfigurationArn: sc.arn },
  }));
  await assert.rejects(ivs.send(new DeleteStorageConfigurationCommand({ arn: sc.arn })), (e) => {
    assert.equal(e.name, 'ConflictException');
    assert.equal(e.$metadata.httpStatusCode, 409);
    return true;
  });
  await ivs.send(new UpdateStageCommand({
    arn: stage.arn, autoParticipantRecordingConfiguration: { storageConfigurationArn: '' },
  }));
  await ivs.send(new DeleteStorageConfigurationCommand({ arn: sc.arn }));
  await assert.rejects(ivs.send(new GetStorageConfigurationCommand({ arn: sc.arn })),
    { name: 'ResourceNotFoundException' });
  await ivs.send(new DeleteStageCommand({ arn: stage.arn }));
});

test('a missing storage configuration is refused, and quotas are enforced', async () => {
  await assert.rejects(ivs.send(new CreateStageCommand({
    autoParticipantRecordingConfiguration: {
      storageConfigurationArn: 'arn:aws:ivs:us-east-1:123456789012:storage-configuration/notThere1234',
    },
  })), { name: 'ValidationException' });
  const other = ivsClient(server.url, 'eu-west-1');
  for (let i = 0; i < 5; i++) {
    await other.send(new CreateStorageConfigurationCommand({ s3: { bucketName: `b-${i}` } }));
  }
  await assert.rejects(other.send(new CreateStorageConfigurationCommand({ s3: { bucketName: 'six' } })), (e) => {
    assert.equal(e.name, 'ServiceQuotaExceededException');
    assert.equal(e.$metadata.httpStatusCode, 402);
    return true;
  });
});
