// Package devtest runs the burncloud binary as a newcomer would: `burncloud
// dev --demo` with no configuration, the official OpenAI SDK as client, and
// the CLI reading what dev wrote in its data folder.
package devtest
