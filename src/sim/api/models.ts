/**
 * Swagger models the simulator advertises. ari-client needs the event models most: for each
 * event it receives it looks up the model named by `type` and wraps every property whose type is
 * a known resource (Channel, Bridge, Playback, Endpoint, ...) in an instance; an event type
 * missing here would crash its message handler.
 */
export interface ModelSpec {
  id: string;
  description: string;
  properties: Record<string, { type: string; required?: boolean }>;
}

type Props = Record<string, string>;

/** `name: 'Type'`; a trailing `?` marks an optional property. */
function model(id: string, description: string, props: Props): ModelSpec {
  const properties: ModelSpec['properties'] = {};
  for (const [key, type] of Object.entries(props)) {
    const optional = key.endsWith('?');
    properties[optional ? key.slice(0, -1) : key] = { type, required: !optional };
  }
  return { id, description, properties };
}

export const objectModels: Record<string, ModelSpec[]> = {
  channels: [
    model('CallerID', 'Caller identification', { name: 'string', number: 'string' }),
    model('DialplanCEP', 'Dialplan location', {
      context: 'string',
      exten: 'string',
      priority: 'long',
      app_name: 'string',
      app_data: 'string',
    }),
    model('Channel', 'A specific communication connection', {
      id: 'string',
      name: 'string',
      state: 'string',
      protocol_id: 'string',
      caller: 'CallerID',
      connected: 'CallerID',
      accountcode: 'string',
      dialplan: 'DialplanCEP',
      creationtime: 'Date',
      language: 'string',
      'channelvars?': 'object',
    }),
    model('Variable', 'The value of a channel variable', { value: 'string' }),
  ],
  bridges: [
    model('Bridge', 'The merging of media from one or more channels', {
      id: 'string',
      technology: 'string',
      bridge_type: 'string',
      bridge_class: 'string',
      creator: 'string',
      name: 'string',
      channels: 'List[string]',
      'video_mode?': 'string',
      'video_source_id?': 'string',
      creationtime: 'Date',
    }),
  ],
  playbacks: [
    model('Playback', 'Object representing the playback of media', {
      id: 'string',
      media_uri: 'string',
      'next_media_uri?': 'string',
      target_uri: 'string',
      'language?': 'string',
      state: 'string',
    }),
  ],
  recordings: [
    model('LiveRecording', 'A recording that is in progress', {
      name: 'string',
      format: 'string',
      target_uri: 'string',
      state: 'string',
      'duration?': 'int',
      'talking_duration?': 'int',
      'silence_duration?': 'int',
      'cause?': 'string',
    }),
    model('StoredRecording', 'A past recording that may be played back', {
      name: 'string',
      format: 'string',
    }),
  ],
  applications: [
    model('Application', 'Details of a Stasis application', {
      name: 'string',
      channel_ids: 'List[string]',
      bridge_ids: 'List[string]',
      endpoint_ids: 'List[string]',
      device_names: 'List[string]',
      events_allowed: 'List[object]',
      events_disallowed: 'List[object]',
    }),
  ],
  endpoints: [
    model('Endpoint', 'An external device that may offer/accept calls', {
      technology: 'string',
      resource: 'string',
      'state?': 'string',
      channel_ids: 'List[string]',
    }),
  ],
  asterisk: [
    model('AsteriskInfo', 'Asterisk system information', {
      'build?': 'object',
      'system?': 'object',
      'config?': 'object',
      'status?': 'object',
    }),
    model('AsteriskPing', 'Asterisk ping information', {
      asterisk_id: 'string',
      ping: 'string',
      timestamp: 'string',
    }),
    model('Variable', 'The value of a variable', { value: 'string' }),
  ],
};

const eventProps: Record<string, Props> = {
  ApplicationReplaced: {},
  ApplicationRegistered: {},
  ApplicationUnregistered: {},
  BridgeCreated: { bridge: 'Bridge' },
  BridgeDestroyed: { bridge: 'Bridge' },
  ChannelCreated: { channel: 'Channel' },
  ChannelDestroyed: { cause: 'int', cause_txt: 'string', 'tech_cause?': 'int', channel: 'Channel' },
  ChannelEnteredBridge: { bridge: 'Bridge', 'channel?': 'Channel' },
  ChannelLeftBridge: { bridge: 'Bridge', channel: 'Channel' },
  ChannelStateChange: { channel: 'Channel' },
  ChannelDtmfReceived: { digit: 'string', duration_ms: 'int', channel: 'Channel' },
  ChannelDialplan: { channel: 'Channel', dialplan_app: 'string', dialplan_app_data: 'string' },
  ChannelCallerId: { caller_presentation: 'int', caller_presentation_txt: 'string', channel: 'Channel' },
  ChannelConnectedLine: { channel: 'Channel' },
  ChannelHangupRequest: { 'cause?': 'int', 'tech_cause?': 'int', 'soft?': 'boolean', channel: 'Channel' },
  ChannelVarset: { variable: 'string', value: 'string', 'channel?': 'Channel' },
  ChannelHold: { channel: 'Channel', 'musicclass?': 'string' },
  ChannelUnhold: { channel: 'Channel' },
  ChannelUserevent: {
    eventname: 'string',
    'channel?': 'Channel',
    'bridge?': 'Bridge',
    'endpoint?': 'Endpoint',
    userevent: 'object',
  },
  Dial: {
    'caller?': 'Channel',
    peer: 'Channel',
    'forward?': 'string',
    'forwarded?': 'Channel',
    'dialstring?': 'string',
    dialstatus: 'string',
  },
  EndpointStateChange: { endpoint: 'Endpoint' },
  ContactStatusChange: { endpoint: 'Endpoint', contact_info: 'ContactInfo' },
  PeerStatusChange: { endpoint: 'Endpoint', peer: 'Peer' },
  PlaybackStarted: { playback: 'Playback' },
  PlaybackContinuing: { playback: 'Playback' },
  PlaybackFinished: { playback: 'Playback' },
  RecordingStarted: { recording: 'LiveRecording' },
  RecordingFinished: { recording: 'LiveRecording' },
  RecordingFailed: { recording: 'LiveRecording' },
  StasisStart: { args: 'List[string]', channel: 'Channel', 'replace_channel?': 'Channel' },
  StasisEnd: { channel: 'Channel' },
};

/** Every event type the simulator can send. */
export const eventTypes: ReadonlySet<string> = new Set(Object.keys(eventProps));

export const eventModels: ModelSpec[] = [
  model('Message', 'Base type for errors and events', { type: 'string', 'asterisk_id?': 'string' }),
  model('Event', 'Base type for asynchronous events', { application: 'string', timestamp: 'Date' }),
  model('ContactInfo', 'Detailed information about a contact on an endpoint', {
    uri: 'string',
    contact_status: 'string',
    aor: 'string',
    'roundtrip_usec?': 'string',
  }),
  model('Peer', 'Detailed information about a remote peer', { peer_status: 'string' }),
  ...Object.entries(eventProps).map(([type, props]) =>
    model(type, `${type} event`, { type: 'string', application: 'string', timestamp: 'Date', ...props }),
  ),
];
