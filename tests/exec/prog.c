/* SPDX-License-Identifier: MIT */
/*
 * A small program for the exec differential test, built as PIE, non-PIE, static and
 * static-pie: some data, a bss larger than a page that starts inside the data's last page.
 */
static char big_bss[3 * 4096 + 123];
int initialised = 42;

int
main(int argc, char **argv)
{
	(void)argv;
	big_bss[argc] = (char)initialised;
	return big_bss[0];
}
