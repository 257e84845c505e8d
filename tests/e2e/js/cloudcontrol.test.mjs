// The Cloud Control API for AWS::IVS::Stage through @aws-sdk/client-cloudcontrol:
// the calls StackQL's awscc.ivs.stages and Terraform's awscc provider make.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  CloudControlClient, CreateResourceCommand, GetResourceCommand, UpdateResourceCommand,
  DeleteResourceCommand, ListResourcesCommand, GetResourceRequestStatusCommand,
  ListResourceRequestsCommand, waitUntilResourceRequestSuccess,
} from '@aws-sdk/client-cloudcontrol';
import { CreateStorageConfigurationCommand, GetStageCommand, CreateStageCommand } from '@aws-sdk/client-ivs-realtime';
import { startServer, ivsClient } from './server.mjs';

const TYPE = 'AWS::IVS::Stage';
let server, cc, ivs, storageArn;

function ccClient(url) {
  return new CloudControlClient({
    region: 'us-east-1', endpoint: url, maxAttempts: 1,
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
  });
}

before(async () => {
  server = await startServer();
  cc = ccClient(server.url);
  ivs = ivsClient(server.url);
  ({ storageConfiguration: { arn: storageArn } } = await ivs.send(new CreateStorageConfigurationCommand({
    name: 'cc-rec', s3: { bucketName: 'cc-bucket' },
  })));
});
after(async () => { assert.equal(await server.stop(), 0); });

test('StackQL flow: create, wait, get, list, update by patch, delete', async () => {
  const desired = {
    Name: 'js-stage',
    AutoParticipantRecordingConfiguration: {
      StorageConfigurationArn: storageArn, MediaTypes: ['AUDIO_ONLY'],
      ThumbnailConfiguration: { ParticipantThumbnailConfiguration: { RecordingMode: 'INTERVAL', TargetIntervalSeconds: 45 } },
    },
    Tags: [{ Key: 'owner', Value: 'js' }],
  };
  const { ProgressEvent: made } = await cc.send(new CreateResourceCommand({
    TypeName: TYPE, DesiredState: JSON.stringify(desired),
  }));
  assert.equal(made.OperationStatus, 'SUCCESS');
  assert.ok(made.EventTime instanceof Date);
  // what Terraform's awscc provider does after every mutating call
  const waited = await waitUntilResourceRequestSuccess({ client: cc, maxWaitTime: 10 }, { RequestToken: made.RequestToken });
  assert.equal(waited.state, 'SUCCESS');
  const arn = made.Identifier;

  const { ResourceDescription } = await cc.send(new GetResourceCommand({ TypeName: TYPE, Identifier: arn }));
  const model = JSON.parse(ResourceDescription.Properties);
  assert.equal(model.Arn, arn);
  assert.equal(model.Name, 'js-stage');
  assert.deepEqual(model.Tags, [{ Key: 'owner', Value: 'js' }]);
  assert.deepEqual(model.AutoParticipantRecordingConfiguration.ThumbnailConfiguration.ParticipantThumbnailConfiguration,
    { RecordingMode: 'INTERVAL', Storage: ['SEQUENTIAL'], TargetIntervalSeconds: 45 });

  const { stage } = await ivs.send(new GetStageCommand({ arn }));
  assert.equal(stage.name, 'js-stage');
  assert.deepEqual(stage.tags, { owner: 'js' });
  assert.deepEqual(stage.autoParticipantRecordingConfiguration.mediaTypes, ['AUDIO_ONLY']);
  assert.equal(stage.autoParticipantRecordingConfiguration.thumbnailConfiguration.targetIntervalSeconds, 45);

  const listed = await cc.send(new ListResourcesCommand({ TypeName: TYPE }));
  assert.ok(listed.ResourceDescriptions.some((d) => d.Identifier === arn));

  const { ProgressEvent: updated } = await cc.send(new UpdateResourceCommand({
    TypeName: TYPE, Identifier: arn,
    PatchDocument: JSON.stringify([
      { op: 'replace', path: '/Name', value: 'js-renamed' },
      { op: 'add', path: '/Tags/-', value: { Key: 'env', Value: 'ci' } },
      { op: 'remove', path: '/Tags/0' },
      { op: 'replace', path: '/AutoParticipantRecordingConfiguration/RecordingReconnectWindowSeconds', value: 60 },
    ]),
  }));
  assert.equal(updated.OperationStatus, 'SUCCESS');
  const after = (await ivs.send(new GetStageCommand({ arn }))).stage;
  assert.equal(after.name, 'js-renamed');
  assert.deepEqual(after.tags, { env: 'ci' });
  assert.equal(after.autoParticipantRecordingConfiguration.recordingReconnectWindowSeconds, 60);

  const { ProgressEvent: deleted } = await cc.send(new DeleteResourceCommand({ TypeName: TYPE, Identifier: arn }));
  assert.equal(deleted.OperationStatus, 'SUCCESS');
  await assert.rejects(cc.send(new GetResourceCommand({ TypeName: TYPE, Identifier: arn })),
    (e) => e.name === 'ResourceNotFoundException');
});

test('a stage made through ivs-realtime is a Cloud Control resource', async () => {
  const { stage } = await ivs.send(new CreateStageCommand({ name: 'via-api', tags: { a: '1' } }));
  const { ResourceDescription } = await cc.send(new GetResourceCommand({ TypeName: TYPE, Identifier: stage.arn }));
  const model = JSON.parse(ResourceDescription.Properties);
  assert.equal(model.Name, 'via-api');
  assert.deepEqual(model.Tags, [{ Key: 'a', Value: '1' }]);
  assert.equal(model.AutoParticipantRecordingConfiguration.StorageConfigurationArn, '');
});

test('failures: schema, read-only, unknown identifier, unknown type', async () => {
  const bad = await cc.send(new CreateResourceCommand({
    TypeName: TYPE, DesiredState: JSON.stringify({ Name: 'x', Arn: 'arn:aws:ivs:us-east-1:123456789012:stage/abc' }),
  }));
  assert.equal(bad.ProgressEvent.OperationStatus, 'FAILED');
  assert.equal(bad.ProgressEvent.ErrorCode, 'InvalidRequest');
  assert.match(bad.ProgressEvent.StatusMessage, /read-only property \[Arn\]/);
  const status = await cc.send(new GetResourceRequestStatusCommand({ RequestToken: bad.ProgressEvent.RequestToken }));
  assert.equal(status.ProgressEvent.ErrorCode, 'InvalidRequest');

  const pattern = await cc.send(new CreateResourceCommand({ TypeName: TYPE, DesiredState: '{"Name": "no spaces allowed"}' }));
  assert.match(pattern.ProgressEvent.StatusMessage, /#\/Name: failed validation constraint for keyword \[pattern\]/);

  const missing = await cc.send(new UpdateResourceCommand({
    TypeName: TYPE, Identifier: 'arn:aws:ivs:us-east-1:123456789012:stage/abcdABCD1234',
    PatchDocument: '[{"op": "replace", "path": "/Name", "value": "y"}]',
  }));
  assert.equal(missing.ProgressEvent.ErrorCode, 'NotFound');

  await assert.rejects(cc.send(new ListResourcesCommand({ TypeName: 'AWS::IVS::Channel' })), (e) => {
    assert.equal(e.name, 'TypeNotFoundException');
    assert.equal(e.$metadata.httpStatusCode, 400);
    return true;
  });
  await assert.rejects(cc.send(new CreateResourceCommand({ TypeName: TYPE, DesiredState: 'nope' })),
    (e) => e.name === 'InvalidRequestException');
});

test('ClientToken: the same request once, another request refused', async () => {
  const send = (name) => cc.send(new CreateResourceCommand({
    TypeName: TYPE, DesiredState: JSON.stringify({ Name: name }), ClientToken: 'js-token-1',
  }));
  const first = await send('idem');
  const second = await send('idem');
  assert.equal(second.ProgressEvent.RequestToken, first.ProgressEvent.RequestToken);
  assert.equal(second.ProgressEvent.Identifier, first.ProgressEvent.Identifier);
  await assert.rejects(send('other'), (e) => e.name === 'ClientTokenConflictException');
  const { ResourceRequestStatusSummaries: list } = await cc.send(new ListResourceRequestsCommand({
    ResourceRequestStatusFilter: { Operations: ['CREATE'], OperationStatuses: ['SUCCESS'] },
  }));
  assert.equal(list.filter((e) => e.RequestToken === first.ProgressEvent.RequestToken).length, 1);
});
