/**
 * Glance's routes as nimbus serves them, with the statuses of Glance's default policies
 * (glance/policies/image.py) and of its ImageAPIPolicy, which answers 404 instead of 403
 * whenever the caller may not even see the image: a user without a reader role on the
 * owning project sees no private image, a community image every reader sees.
 */

import type { Fixture } from "./fixture.js";
import { byRule, type Overrides, type Row, type Side } from "./matrix.js";

const PATCH = { "content-type": "application/openstack-images-v2.1-json-patch" };

/** Not allowed to see the image: 404 (nimbus's no-role caller holds no reader role). */
const unseen: Overrides = { "own.norole": 404 };
/** On a foreign community image: seen by every reader, changed by nobody but its owner. */
const community: Overrides = { "own.norole": 404, "foreign.member": 403, "foreign.norole": 404 };

const image =
  (options: { data?: boolean; visibility?: string; tag?: string } = {}) =>
  async (fx: Fixture, side: Side) => ({ image: await fx.image(side, options) });

/** A community image names its owner to everybody. */
const ownerOf = (fx: Fixture) => [fx.foreign.project];

const communityTarget = (seed: { communityImage: string }) => ({ image: seed.communityImage });

export const imageRows: Row[] = [
  { api: "image", method: "GET", path: "/images", ownOnly: true, expect: byRule("reader", 200, "same") },
  {
    api: "image",
    method: "POST",
    path: "/images",
    ownOnly: true,
    body: () => ({ name: "matrix-image", disk_format: "raw", container_format: "bare" }),
    expect: byRule("member", 201, "same"),
  },
  { api: "image", method: "GET", path: "/images/{image}", expect: byRule("reader", 200, "hidden", unseen) },
  {
    api: "image",
    method: "GET",
    path: "/images/{image}",
    variant: "community",
    target: communityTarget,
    shows: ownerOf,
    expect: byRule("reader", 200, "same", { "own.norole": 404, "foreign.norole": 404 }),
  },
  {
    api: "image",
    method: "PATCH",
    path: "/images/{image}",
    headers: () => PATCH,
    body: () => [{ op: "add", path: "/matrix", value: "x" }],
    expect: byRule("member", 200, "hidden", unseen),
  },
  {
    api: "image",
    method: "PATCH",
    path: "/images/{image}",
    variant: "community",
    target: communityTarget,
    headers: () => PATCH,
    body: () => [{ op: "add", path: "/matrix", value: "x" }],
    expect: byRule("member", 200, "same", community),
  },
  {
    api: "image",
    method: "DELETE",
    path: "/images/{image}",
    fresh: image(),
    expect: byRule("member", 204, "hidden", unseen),
  },
  {
    api: "image",
    method: "DELETE",
    path: "/images/{image}",
    variant: "community",
    fresh: image({ visibility: "community" }),
    target: communityTarget,
    expect: byRule("member", 204, "same", community),
  },
  {
    api: "image",
    method: "PUT",
    path: "/images/{image}/tags/{tag}",
    target: (seed) => ({ image: seed.image, tag: "matrix" }),
    expect: byRule("member", 204, "hidden", unseen),
  },
  {
    api: "image",
    method: "DELETE",
    path: "/images/{image}/tags/{tag}",
    fresh: async (fx, side) => ({ image: await fx.image(side, { tag: "matrix" }), tag: "matrix" }),
    target: (seed) => ({ image: seed.image, tag: "matrix" }),
    expect: byRule("member", 204, "hidden", unseen),
  },
  {
    api: "image",
    method: "POST",
    path: "/images/{image}/actions/deactivate",
    fresh: image(),
    expect: byRule("member", 204, "hidden", unseen),
  },
  {
    api: "image",
    method: "POST",
    path: "/images/{image}/actions/reactivate",
    fresh: async (fx, side) => {
      const id = await fx.image(side);
      const as = side === "own" ? "member" : { token: fx.foreign.token };
      await fx.send({ api: "image", method: "POST", path: `/images/${id}/actions/deactivate`, as });
      return { image: id };
    },
    expect: byRule("member", 204, "hidden", unseen),
  },
  {
    api: "image",
    method: "PUT",
    path: "/images/{image}/file",
    fresh: image({ data: false }),
    body: () => Buffer.from("matrix-data"),
    expect: byRule("member", 204, "hidden", unseen),
  },
  // download_image needs a member role even where reading does not
  {
    api: "image",
    method: "GET",
    path: "/images/{image}/file",
    expect: byRule("member", 200, "hidden", unseen),
  },
  {
    api: "image",
    method: "GET",
    path: "/images/{image}/file",
    variant: "community",
    target: communityTarget,
    expect: byRule("member", 200, "same", { "own.norole": 404, "foreign.norole": 404 }),
  },
  { api: "image", method: "GET", path: "/schemas/image", ownOnly: true, expect: byRule("any", 200, "same") },
  { api: "image", method: "GET", path: "/schemas/images", ownOnly: true, expect: byRule("any", 200, "same") },
];
