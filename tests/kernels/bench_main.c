/* bench_main.c — `lq bench` as a program of its own, until the lq tool
 * dispatches to lq_tool_bench. Not a test: run it by hand. */
int lq_tool_bench(int argc, char **argv);

int main(int argc, char **argv)
{
    return lq_tool_bench(argc, argv);
}
