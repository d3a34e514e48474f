/// Common US given-name nicknames and diminutives (Bill → William, Peggy → Margaret, Chuck → Charles),
/// so that `Bob Smith` and `Robert Smith` compare at the `nickname` level rather than as different names.
///
/// A nickname can belong to several formal names (`Alex` → Alexander, Alexandra; `Pat` → Patrick,
/// Patricia): ``roots(of:)`` returns them all, and two given names are nicknames of each other when their
/// root sets meet.
package enum Nicknames {
    /// Formal name, then its nicknames (folded upper case).
    private static let table = """
        ABIGAIL ABBY ABBIE GAIL
        ABRAHAM ABE BRAM
        ALBERT AL BERT BERTIE
        ALEXANDER ALEX AL ALEC SANDY XANDER ZANDER LEX
        ALEXANDRA ALEX ALEXA SANDRA SANDY LEXI LEXIE ALLIE
        ALFRED AL ALF ALFIE FRED FREDDIE
        ALLISON ALLIE ALI
        AMANDA MANDY MANDI
        ANDREW ANDY DREW
        ANGELA ANGIE
        ANN ANNIE NAN NANCY ANNA ANNE NANNY
        ANTHONY TONY ANT
        ANTOINETTE TONI NETTIE
        ARCHIBALD ARCHIE
        ARNOLD ARNIE
        ARTHUR ART ARTIE
        BARBARA BARB BARBIE BABS
        BARTHOLOMEW BART
        BEATRICE BEA TRIXIE
        BENJAMIN BEN BENNY BENJI BENNIE
        BERNARD BERNIE BARNEY
        BRADLEY BRAD
        CAMERON CAM
        CAROLINE CAROL CARRIE CARO
        CAROLYN CAROL CARRIE LYNN
        CATHERINE CATHY CATE KATE KATIE KAT KITTY CATHIE
        CHARLES CHARLIE CHUCK CHAS CHAZ CHIP
        CHARLOTTE CHARLIE LOTTIE LOTTA
        CHRISTINA CHRIS CHRISSY TINA CHRISTIE
        CHRISTINE CHRIS CHRISSY TINA CHRISTIE
        CHRISTOPHER CHRIS KIT TOPHER
        CLIFFORD CLIFF
        CONSTANCE CONNIE
        CORNELIUS CONNIE NEIL
        CYNTHIA CINDY
        DANIEL DAN DANNY
        DAVID DAVE DAVEY DAVY
        DEBORAH DEB DEBBIE DEBBY DEBRA
        DENNIS DENNY
        DOLORES LOLA DEE
        DONALD DON DONNIE DONNY
        DONNA DONNIE
        DOROTHY DOT DOTTIE DOLLY DOTTY
        DOUGLAS DOUG
        EDWARD ED EDDIE TED TEDDY NED EDDY
        EDMUND ED EDDIE NED TED
        EDWIN ED EDDIE
        ELEANOR ELLIE NELL NELLIE NORA LENORE
        ELIZABETH LIZ LIZZIE BETH BETSY BETTY LIBBY ELIZA BESS BESSIE LISA LIZA ELISE LIBBIE BETTE
        ELLEN ELLIE NELL NELLIE
        EMILY EM EMMY MILLIE
        EUGENE GENE
        EVELYN EVE EVIE
        FLORENCE FLO FLOSSIE
        FRANCES FRAN FRANNIE FRANKIE
        FRANCIS FRANK FRANKIE
        FRANKLIN FRANK
        FREDERICK FRED FREDDIE FREDDY RICK
        GABRIEL GABE
        GABRIELLE GABBY GABBIE ELLE
        GEOFFREY GEOFF JEFF
        GERALD GERRY JERRY
        GERTRUDE GERTIE TRUDY
        GREGORY GREG
        HAROLD HAL HARRY
        HARRIET HATTIE
        HENRY HANK HARRY HAL
        HERBERT HERB BERT
        HOWARD HOWIE
        ISAAC IKE
        ISABEL BELLA IZZY ISABELLA ISABELLE BELLE
        JACOB JAKE JAKOB
        JACQUELINE JACKIE
        JAMES JIM JIMMY JAMIE JIMMIE
        JANET JAN
        JANICE JAN
        JEFFREY JEFF
        JENNIFER JEN JENNY JENNI
        JEROME JERRY
        JESSICA JESS JESSIE
        JOAN JOANIE
        JOHN JACK JOHNNY JON JOHNNIE
        JONATHAN JON JOHNNY NATHAN
        JOSEPH JOE JOEY JOS
        JOSEPHINE JO JOSIE JOSEY
        JOSHUA JOSH
        JUDITH JUDY JUDI
        KATHERINE KATHY KATE KATIE KAT KAY KIT KATHRYN KATHLEEN KATHARINE KITTY KATY
        KENNETH KEN KENNY
        KIMBERLY KIM KIMMY
        LAWRENCE LARRY LAURIE
        LEONARD LEN LENNY LEO
        LEWIS LOU LOUIE
        LOUIS LOU LOUIE
        LOUISE LOU LOUIE LOIS
        LUCILLE LUCY LU
        MARGARET MAGGIE MEG PEGGY PEG MARGE MARGIE GRETA MADGE DAISY MAISIE MARGO GRETCHEN META
        MARIA MARIE MOLLY MARY
        MARILYN MARYLYNN LYNN
        MARJORIE MARGE MARGIE
        MARTHA MARTY PATTY MATTIE
        MARTIN MARTY
        MARY MOLLY POLLY MAME MAMIE MAE MAY MARIE MARIA MITZI
        MATILDA TILLY MATTIE MAUD
        MATTHEW MATT MATTY
        MELISSA MEL MISSY LISSA
        MICHAEL MIKE MICKEY MICK MIKEY MITCH
        MICHELLE SHELLY MICKIE
        MILDRED MILLIE
        NANCY NAN ANN ANNE
        NATHANIEL NATE NAT NATHAN
        NICHOLAS NICK NICKY NIKKI COLE
        NICOLE NIKKI NICKY COLE
        OLIVER OLLIE
        OLIVIA LIV LIVVY OLLIE
        PAMELA PAM
        PATRICIA PAT PATTY TRISH TRICIA PATSY TRISHA
        PATRICK PAT PADDY RICK
        PENELOPE PENNY
        PETER PETE
        PHILIP PHIL PIP
        PRISCILLA CILLA PRISSY
        RACHEL RAE SHELLY
        RANDOLPH RANDY
        RAYMOND RAY
        REBECCA BECKY BECCA REBA
        REGINALD REG REGGIE
        RICHARD RICK DICK RICH RICKY RICHIE DICKIE RICO
        ROBERT BOB BOBBY ROB ROBBIE BERT ROBIN DOBBIN
        ROBERTA BOBBIE BERTIE ROBBIE
        RODNEY ROD
        RONALD RON RONNIE RONNY
        ROSEMARY ROSE ROSIE
        RUDOLPH RUDY RUDI
        RUSSELL RUSS RUSTY
        SAMANTHA SAM SAMMY
        SAMUEL SAM SAMMY
        SANDRA SANDY SANDI
        SARAH SALLY SADIE SARA
        SOPHIA SOPHIE
        STANLEY STAN
        STEPHANIE STEPH STEVIE
        STEPHEN STEVE STEVIE
        STEVEN STEVE STEVIE
        SUSAN SUE SUSIE SUZY SUKIE SUZIE
        SUZANNE SUE SUSIE SUZY
        TERESA TERRY TESS TESSA TESSIE TRACY THERESA
        TERENCE TERRY
        THEODORE TED TEDDY THEO
        THOMAS TOM TOMMY THOM
        TIMOTHY TIM TIMMY
        VALERIE VAL
        VICTORIA VICKY VICKIE TORI VIC
        VINCENT VINCE VINNIE VINNY
        VIRGINIA GINNY GINGER JINNY
        WALTER WALT WALLY
        WILLIAM BILL BILLY WILL WILLY WILLIE LIAM BILLIE
        WINIFRED WINNIE FREDA
        ZACHARY ZACH ZACK
        """

    /// Nickname or formal name → the formal names it can stand for (a formal name maps to itself).
    private static let rootsByName: [String: [String]] = {
        var map: [String: [String]] = [:]
        for line in table.split(separator: "\n") {
            let names = line.split(separator: " ").map(String.init)
            guard let root = names.first else { continue }
            for name in names where !(map[name]?.contains(root) ?? false) {
                map[name, default: []].append(root)
            }
        }
        return map.mapValues { $0.sorted() }
    }()

    /// The formal names a given name can stand for, sorted; the name itself when it is none's nickname.
    package static func roots(of given: String) -> [String] {
        let key = MatchText.letters(given)
        return rootsByName[key] ?? (key.isEmpty ? [] : [key])
    }

    /// Whether two given names are the same name or nicknames of one formal name.
    package static func areNicknames(_ a: String, _ b: String) -> Bool {
        let ra = roots(of: a), rb = roots(of: b)
        return ra.contains { rb.contains($0) }
    }

    /// Number of nickname → formal name pairs in the table.
    package static var pairCount: Int {
        rootsByName.reduce(0) { count, entry in count + entry.value.filter { $0 != entry.key }.count }
    }
}
