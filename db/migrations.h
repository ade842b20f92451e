/* SQL migrations compiled into the binaries (generated from db/migrations/NNN_name.sql by
 * scripts/embed-migrations.sh). */
#ifndef KM_DB_MIGRATIONS_H
#define KM_DB_MIGRATIONS_H

struct km_migration {
    int version;      /* the number the file name starts with */
    const char *name; /* file name, e.g. "001_posts.sql" */
    const char *sql;
};

/* Ordered by version; terminated by an entry with name == NULL. */
extern const struct km_migration km_migrations[];

#endif
