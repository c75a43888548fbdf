import type { Kysely } from 'kysely';

/**
 * Exact returns: the image each service of a successful launch ran, with its
 * registry digest (null for a local image that no registry gave a digest to), so a
 * rollback pins those digests instead of tags that may have moved; and the rendered
 * compose of each launch (secrets masked), null for launches made before this.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('deployment_images')
    .addColumn('deployment_id', 'integer', (c) =>
      c.notNull().references('deployments.id').onDelete('cascade'),
    )
    .addColumn('service', 'text', (c) => c.notNull())
    /** The reference as rendered, without a digest: `127.0.0.1:5000/otto/web:latest`. */
    .addColumn('image', 'text', (c) => c.notNull())
    /** `sha256:…`, or null for a local image. */
    .addColumn('digest', 'text')
    .addPrimaryKeyConstraint('deployment_images_pk', ['deployment_id', 'service'])
    .execute();
  await db.schema.alterTable('deployments').addColumn('rendered_compose', 'text').execute();
}
