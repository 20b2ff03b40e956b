// groupgraph/client: the SDK for browsers and Node ≥ 20 (fetch only, no Node
// built-ins). `GroupGraph` mirrors OpenPanel's SDK (identify, upsertGroup,
// setGroup, setGroups, track, clear); `GroupGraphClient` runs the typed
// operations of schema/operations (generated documents below) for queries.
export {
  GroupGraph,
  type GroupGraphOptions,
  type IdentifyPayload,
  type ProfileOptions,
  type TrackProperties,
  type UpsertGroupPayload,
} from './groupgraph.ts';
export {
  GroupGraphClient,
  graphqlEndpoint,
  type ClientOptions,
  type RetryInfo,
  type TypedDocument,
  type VariablesArgument,
} from './client.ts';
export { GroupGraphError, type GraphQLErrorPayload } from './errors.ts';
export * from './generated/operations.ts';
