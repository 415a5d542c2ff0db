/** The roles are the HTTP contract's (contract/http/auth.ts). */
export { ROLES, type Role } from '../../contract/http/auth.js';
