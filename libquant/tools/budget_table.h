/* budget_table.h — the types a size budget chose (lq quantize --target-*),
 * printed from the written file's metadata. */
#ifndef LQ_TOOLS_BUDGET_TABLE_H
#define LQ_TOOLS_BUDGET_TABLE_H

/* One line per tensor the budget chose (name, type, bytes, estimated
 * error), then the bytes per type; nothing when the file has no budget. */
void budget_table_print(const char *path);

#endif
