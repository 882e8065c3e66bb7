export { parseId, isUuid } from './ids.ts';
export { parseText } from './text.ts';
export {
  MAX_PAGE_SIZE,
  pageRequest,
  toConnection,
  pageKey,
  encodeCursor,
  decodeCursor,
  type Connection,
  type Cursor,
  type PageInfo,
  type PageRequest,
} from './pagination.ts';
export { maskInternalErrors } from './formatError.ts';
export { DateTimeScalar } from './scalars.ts';
export { money, type MoneyValue } from './money.ts';
