import Foundation
import StreamReconCLI

exit(await StreamRecon.execute(Array(CommandLine.arguments.dropFirst())))
