import Foundation
import Gateway

exit(CommandLineTool.main())
