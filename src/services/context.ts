/** Who is asking: what a validated token says, handed from the HTTP edge to the services. */
export interface AuthContext {
  userId: string;
  userName: string;
  /** Null for an unscoped token. */
  projectId: string | null;
  projectName: string | null;
  /** Role names on the scoped project. */
  roles: string[];
  /** Holds the admin role (nova's `role:admin`, which is not project-bound). */
  isAdmin: boolean;
  /** The request id (`req-<uuid>`) of the API call, recorded in instance actions. */
  requestId: string;
}
