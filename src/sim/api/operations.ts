/**
 * The ARI operations the simulator implements, as data. `description.ts` turns this table into
 * the Swagger 1.2 listing ari-client reads to build its methods, and `rest/router.ts` routes
 * requests with it, so what is advertised and what is served cannot drift apart.
 */
export type ParamType = 'path' | 'query' | 'body';

export interface ParamSpec {
  name: string;
  paramType: ParamType;
  required: boolean;
  dataType: string;
  allowMultiple: boolean;
}

export interface OperationSpec {
  resource: string;
  path: string;
  httpMethod: 'GET' | 'POST' | 'PUT' | 'DELETE';
  nickname: string;
  responseClass: string;
  summary: string;
  parameters: ParamSpec[];
}

const p = (name: string): ParamSpec => ({
  name,
  paramType: 'path',
  required: true,
  dataType: 'string',
  allowMultiple: false,
});
const q = (name: string, dataType = 'string', required = false): ParamSpec => ({
  name,
  paramType: 'query',
  required,
  dataType,
  allowMultiple: false,
});
const qr = (name: string, dataType = 'string'): ParamSpec => q(name, dataType, true);
const qm = (name: string, required = true): ParamSpec => ({
  ...q(name, 'string', required),
  allowMultiple: true,
});
const b = (name: string, dataType = 'containers', required = false): ParamSpec => ({
  name,
  paramType: 'body',
  required,
  dataType,
  allowMultiple: false,
});

type Row = [
  path: string,
  method: OperationSpec['httpMethod'],
  nickname: string,
  responseClass: string,
  params: ParamSpec[],
  summary: string,
];

const originateParams = [
  q('extension'),
  q('context'),
  q('priority', 'long'),
  q('label'),
  q('app'),
  q('appArgs'),
  q('callerId'),
  q('timeout', 'int'),
  b('variables'),
  q('otherChannelId'),
  q('originator'),
  q('formats'),
];
const playParams = [q('lang'), q('offsetms', 'int'), q('skipms', 'int')];

const table: Record<string, Row[]> = {
  asterisk: [
    ['/asterisk/info', 'GET', 'getInfo', 'AsteriskInfo', [qm('only', false)], 'Asterisk system information'],
    ['/asterisk/ping', 'GET', 'ping', 'AsteriskPing', [], 'Ping Asterisk'],
    ['/asterisk/variable', 'GET', 'getGlobalVar', 'Variable', [qr('variable')], 'Get a global variable'],
    [
      '/asterisk/variable',
      'POST',
      'setGlobalVar',
      'void',
      [qr('variable'), q('value')],
      'Set a global variable',
    ],
  ],
  endpoints: [
    ['/endpoints', 'GET', 'list', 'List[Endpoint]', [], 'List all endpoints'],
    ['/endpoints/{tech}', 'GET', 'listByTech', 'List[Endpoint]', [p('tech')], 'Endpoints of a technology'],
    ['/endpoints/{tech}/{resource}', 'GET', 'get', 'Endpoint', [p('tech'), p('resource')], 'One endpoint'],
  ],
  channels: [
    ['/channels', 'GET', 'list', 'List[Channel]', [], 'List active channels'],
    [
      '/channels',
      'POST',
      'originate',
      'Channel',
      [qr('endpoint'), ...originateParams, q('channelId')],
      'Originate',
    ],
    [
      '/channels/create',
      'POST',
      'create',
      'Channel',
      [
        qr('endpoint'),
        qr('app'),
        q('appArgs'),
        q('channelId'),
        q('otherChannelId'),
        q('originator'),
        q('formats'),
        b('variables'),
      ],
      'Create a channel in Stasis without dialling it',
    ],
    ['/channels/{channelId}', 'GET', 'get', 'Channel', [p('channelId')], 'Channel details'],
    [
      '/channels/{channelId}',
      'POST',
      'originateWithId',
      'Channel',
      [p('channelId'), qr('endpoint'), ...originateParams],
      'Originate with id',
    ],
    [
      '/channels/{channelId}',
      'DELETE',
      'hangup',
      'void',
      [p('channelId'), q('reason_code'), q('reason')],
      'Hang up',
    ],
    [
      '/channels/{channelId}/continue',
      'POST',
      'continueInDialplan',
      'void',
      [p('channelId'), q('context'), q('extension'), q('priority', 'int'), q('label')],
      'Leave Stasis, continue in the dialplan',
    ],
    ['/channels/{channelId}/answer', 'POST', 'answer', 'void', [p('channelId')], 'Answer'],
    ['/channels/{channelId}/ring', 'POST', 'ring', 'void', [p('channelId')], 'Indicate ringing'],
    ['/channels/{channelId}/ring', 'DELETE', 'ringStop', 'void', [p('channelId')], 'Stop ringing indication'],
    ['/channels/{channelId}/progress', 'POST', 'progress', 'void', [p('channelId')], 'Indicate progress'],
    [
      '/channels/{channelId}/dtmf',
      'POST',
      'sendDTMF',
      'void',
      [
        p('channelId'),
        q('dtmf'),
        q('before', 'int'),
        q('between', 'int'),
        q('duration', 'int'),
        q('after', 'int'),
      ],
      'Send DTMF to the channel',
    ],
    ['/channels/{channelId}/mute', 'POST', 'mute', 'void', [p('channelId'), q('direction')], 'Mute'],
    ['/channels/{channelId}/mute', 'DELETE', 'unmute', 'void', [p('channelId'), q('direction')], 'Unmute'],
    ['/channels/{channelId}/hold', 'POST', 'hold', 'void', [p('channelId')], 'Hold'],
    ['/channels/{channelId}/hold', 'DELETE', 'unhold', 'void', [p('channelId')], 'Unhold'],
    ['/channels/{channelId}/moh', 'POST', 'startMoh', 'void', [p('channelId'), q('mohClass')], 'Start MOH'],
    ['/channels/{channelId}/moh', 'DELETE', 'stopMoh', 'void', [p('channelId')], 'Stop MOH'],
    ['/channels/{channelId}/silence', 'POST', 'startSilence', 'void', [p('channelId')], 'Play silence'],
    ['/channels/{channelId}/silence', 'DELETE', 'stopSilence', 'void', [p('channelId')], 'Stop silence'],
    [
      '/channels/{channelId}/play',
      'POST',
      'play',
      'Playback',
      [p('channelId'), qm('media'), ...playParams, q('playbackId')],
      'Play media',
    ],
    [
      '/channels/{channelId}/play/{playbackId}',
      'POST',
      'playWithId',
      'Playback',
      [p('channelId'), p('playbackId'), qm('media'), ...playParams],
      'Play media with a playback id',
    ],
    [
      '/channels/{channelId}/variable',
      'GET',
      'getChannelVar',
      'Variable',
      [p('channelId'), qr('variable')],
      'Get a variable',
    ],
    [
      '/channels/{channelId}/variable',
      'POST',
      'setChannelVar',
      'void',
      [p('channelId'), qr('variable'), q('value'), q('report_events', 'boolean')],
      'Set a variable',
    ],
    [
      '/channels/{channelId}/dial',
      'POST',
      'dial',
      'void',
      [p('channelId'), q('caller'), q('timeout', 'int')],
      'Dial a created channel',
    ],
    [
      '/channels/{channelId}/snoop',
      'POST',
      'snoopChannel',
      'Channel',
      [p('channelId'), q('spy'), q('whisper'), qr('app'), q('appArgs'), q('snoopId')],
      'Snoop (spy/whisper) on a channel',
    ],
    [
      '/channels/{channelId}/snoop/{snoopId}',
      'POST',
      'snoopChannelWithId',
      'Channel',
      [p('channelId'), p('snoopId'), q('spy'), q('whisper'), qr('app'), q('appArgs')],
      'Snoop (spy/whisper) on a channel, with the snoop channel id',
    ],
  ],
  bridges: [
    ['/bridges', 'GET', 'list', 'List[Bridge]', [], 'List bridges'],
    [
      '/bridges',
      'POST',
      'create',
      'Bridge',
      [q('type'), q('bridgeId'), q('name'), b('variables')],
      'Create a bridge',
    ],
    [
      '/bridges/{bridgeId}',
      'POST',
      'createWithId',
      'Bridge',
      [q('type'), p('bridgeId'), q('name'), b('variables')],
      'Create a bridge with id',
    ],
    ['/bridges/{bridgeId}', 'GET', 'get', 'Bridge', [p('bridgeId')], 'Bridge details'],
    ['/bridges/{bridgeId}', 'DELETE', 'destroy', 'void', [p('bridgeId')], 'Destroy a bridge'],
    [
      '/bridges/{bridgeId}/addChannel',
      'POST',
      'addChannel',
      'void',
      [
        p('bridgeId'),
        qm('channel'),
        q('role'),
        q('absorbDTMF', 'boolean'),
        q('mute', 'boolean'),
        q('inhibitConnectedLineUpdates', 'boolean'),
      ],
      'Add channels',
    ],
    [
      '/bridges/{bridgeId}/removeChannel',
      'POST',
      'removeChannel',
      'void',
      [p('bridgeId'), qm('channel')],
      'Remove channels',
    ],
    [
      '/bridges/{bridgeId}/moh',
      'POST',
      'startMoh',
      'void',
      [p('bridgeId'), q('mohClass')],
      'Start MOH on the bridge',
    ],
    ['/bridges/{bridgeId}/moh', 'DELETE', 'stopMoh', 'void', [p('bridgeId')], 'Stop MOH on the bridge'],
    [
      '/bridges/{bridgeId}/play',
      'POST',
      'play',
      'Playback',
      [p('bridgeId'), qm('media'), q('announcer_format'), ...playParams, q('playbackId')],
      'Play media to the bridge',
    ],
    [
      '/bridges/{bridgeId}/play/{playbackId}',
      'POST',
      'playWithId',
      'Playback',
      [p('bridgeId'), p('playbackId'), qm('media'), q('announcer_format'), ...playParams],
      'Play media to the bridge with a playback id',
    ],
    [
      '/bridges/{bridgeId}/record',
      'POST',
      'record',
      'LiveRecording',
      [
        p('bridgeId'),
        qr('name'),
        qr('format'),
        q('maxDurationSeconds', 'int'),
        q('maxSilenceSeconds', 'int'),
        q('ifExists'),
        q('beep', 'boolean'),
        q('terminateOn'),
      ],
      'Start a recording of the bridge',
    ],
  ],
  recordings: [
    ['/recordings/stored', 'GET', 'listStored', 'List[StoredRecording]', [], 'List stored recordings'],
    [
      '/recordings/stored/{recordingName}',
      'GET',
      'getStored',
      'StoredRecording',
      [p('recordingName')],
      'A stored recording',
    ],
    [
      '/recordings/stored/{recordingName}',
      'DELETE',
      'deleteStored',
      'void',
      [p('recordingName')],
      'Delete a stored recording',
    ],
    [
      '/recordings/stored/{recordingName}/file',
      'GET',
      'getStoredFile',
      'binary',
      [p('recordingName')],
      "A stored recording's file",
    ],
    [
      '/recordings/live/{recordingName}',
      'GET',
      'getLive',
      'LiveRecording',
      [p('recordingName')],
      'A live recording',
    ],
    [
      '/recordings/live/{recordingName}',
      'DELETE',
      'cancel',
      'void',
      [p('recordingName')],
      'Stop a live recording and discard it',
    ],
    [
      '/recordings/live/{recordingName}/stop',
      'POST',
      'stop',
      'void',
      [p('recordingName')],
      'Stop a live recording and store it',
    ],
  ],
  playbacks: [
    ['/playbacks/{playbackId}', 'GET', 'get', 'Playback', [p('playbackId')], 'Playback details'],
    ['/playbacks/{playbackId}', 'DELETE', 'stop', 'void', [p('playbackId')], 'Stop a playback'],
    [
      '/playbacks/{playbackId}/control',
      'POST',
      'control',
      'void',
      [p('playbackId'), qr('operation')],
      'Control a playback',
    ],
  ],
  applications: [
    ['/applications', 'GET', 'list', 'List[Application]', [], 'List applications'],
    [
      '/applications/{applicationName}',
      'GET',
      'get',
      'Application',
      [p('applicationName')],
      'Application details',
    ],
    [
      '/applications/{applicationName}/subscription',
      'POST',
      'subscribe',
      'Application',
      [p('applicationName'), qm('eventSource')],
      'Subscribe to event sources',
    ],
    [
      '/applications/{applicationName}/subscription',
      'DELETE',
      'unsubscribe',
      'Application',
      [p('applicationName'), qm('eventSource')],
      'Unsubscribe from event sources',
    ],
    [
      '/applications/{applicationName}/eventFilter',
      'PUT',
      'filter',
      'Application',
      [p('applicationName'), b('filter', 'object')],
      'Filter the events sent to the application',
    ],
  ],
  events: [
    [
      '/events',
      'GET',
      'eventWebsocket',
      'Message',
      [qm('app'), q('subscribeAll', 'boolean')],
      'WebSocket for events',
    ],
  ],
};

export const resourceDescriptions: Record<string, string> = {
  asterisk: 'Asterisk resources',
  endpoints: 'Endpoint resources',
  channels: 'Channel resources',
  bridges: 'Bridge resources',
  playbacks: 'Playback control resources',
  recordings: 'Recording resources',
  applications: 'Stasis application resources',
  events: 'WebSocket resource',
};

export const operations: OperationSpec[] = Object.entries(table).flatMap(([resource, rows]) =>
  rows.map(([path, httpMethod, nickname, responseClass, parameters, summary]) => ({
    resource,
    path,
    httpMethod,
    nickname,
    responseClass,
    summary,
    parameters,
  })),
);

export const resourceNames: string[] = Object.keys(table);
